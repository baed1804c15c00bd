"""What the page asks the map component to send back, and how the map learns of a change.

streamlit-folium reruns the script whenever a returned object changes in the browser, so
the page asks only for what an open panel needs: clicks always, the view's bounds while the
export panel is open, drawings while the parcel editor is open. The component reads its list
of returned objects once, when the map is first drawn; :class:`LiveReturnedObjects` keeps it
in step with later runs, so opening a panel needs no redraw (the view stays where the user
left it) and, once it is closed, panning reruns nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from branca.element import MacroElement

from geo_app.mapview.elements import template

CLICKS = ("last_object_clicked", "last_clicked")


def returned_objects(*extras: Iterable[str], clicks: bool = True) -> list[str]:
    """The clicks (unless a panel needs the map's clicks for itself) plus what open panels
    ask for, each once, clicks first."""
    wanted = list(CLICKS) if clicks else []
    for extra in extras:
        wanted += [name for name in extra if name not in wanted]
    return wanted


class LiveReturnedObjects(MacroElement):
    """Follows the returned-objects list of each run; sends the view at once when a panel
    starts asking for it (the user may not move the map again before exporting)."""

    _template = template("live_returned_objects.js")
