"""The server's long-lived objects are left out of garbage collection.

Python's full collection walks every object the process holds. With pandas, GeoPandas,
pyproj, folium and Streamlit loaded that walk took 60–90 ms on the reference machine, and a
page load allocates enough to start one nearly every time: the server then answered nothing
until it ended. What exists once a page has been drawn (modules, caches, templates) lives as
long as the process, so it is frozen (:func:`gc.freeze`); later collections walk only what
later page loads create. Garbage is collected first, so nothing already freed is kept. A page that
imported more modules (the first full page after the map) freezes once more.
"""

from __future__ import annotations

import gc
import sys

import streamlit as st


def freeze_long_lived_objects() -> None:
    """Call after a page is drawn; does the work only when modules were imported since."""
    _freeze_with(len(sys.modules))


@st.cache_resource(show_spinner=False, max_entries=64)
def _freeze_with(module_count: int) -> bool:
    gc.collect()
    gc.freeze()
    return True
