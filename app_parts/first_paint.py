"""The map first, the rest of the page once the browser has drawn it.

The map's frame and the page share one browser thread. When the sidebar, the tab bar and
the panels under the map reach the browser together with the map, laying them out holds the
map back on a small machine (the widgets by a few hundred milliseconds, the bare sidebar and
tab bar by tens). So a session's first run sends only the title, the map and an empty place
for the tab bar; the map reports once it is drawn (:class:`ReportWhenDrawn`), and that report
reruns the script, which then draws the whole page. The map's script and its place in the
page are the same in both runs, so the second run does not redraw it; the map only narrows
when the sidebar arrives, keeping its centre.

Every later run draws the whole page at once. A client that cannot report (AppTest) starts
as a session whose map has already reported: set ``st.session_state[DONE] = True``.
"""

from __future__ import annotations

import streamlit as st
from branca.element import MacroElement

from geo_app.mapview.elements import template

# Session-state key: set once the session's first run has been made.
DONE = "first_paint_done"
# Not an object streamlit-folium knows: asking for it sends nothing back by itself. Its
# presence tells ReportWhenDrawn that this run waits for the map's report.
REPORT = "geo_app_map_drawn"


def starts_now() -> bool:
    """True on the session's first run (and only then): draw the map and little else."""
    first = not st.session_state.get(DONE)
    st.session_state[DONE] = True
    return first


def returned_objects(first_paint: bool) -> tuple[str, ...]:
    """What a run adds to the map's returned objects: the report request on the first run."""
    return (REPORT,) if first_paint else ()


class ReportWhenDrawn(MacroElement):
    """Makes streamlit-folium send the map's first state (the clicks, still empty) as soon
    as the map is drawn, when the run asked for ``REPORT``.

    The component sends a state only when it differs from the last one sent, which starts
    as the run's defaults; forgetting that makes the first state count as new. Runs inside
    the map's script, before the component's own start-up reads the state.
    """

    _template = template("report_when_drawn.js")
    report = REPORT
