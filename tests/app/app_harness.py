"""Helpers for driving streamlit_app.py headless with streamlit.testing.v1.AppTest.

A module of its own, not conftest.py: tests/browser has a conftest too, and
``from conftest import`` would pick whichever was loaded last.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
# The first run loads every layer and measures every target; later runs hit the cache.
RUN_TIMEOUT_S = 60


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)


def map_args(at: AppTest) -> dict:
    """The arguments the page handed to the st_folium component (script, links, …)."""
    components = [
        element for element in at.get("component_instance")
        if element.proto.component_name.endswith("st_folium")
    ]
    assert len(components) == 1, "the page should draw exactly one map"
    return json.loads(components[0].proto.json_args)


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric labelled {label!r}; have {[m.label for m in at.metric]}"
    return values[0]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_tab(at: AppTest, name: str, lang: str = "zh") -> AppTest:
    """Switch to a tab (``map``, ``land``, ``targets``, ``table``); only the open tab runs."""
    from geo_app.i18n import load_strings

    at.session_state["open_tab"] = load_strings().get(f"app.tab.{name}", lang)
    at.run()
    assert_clean(at)
    return at


def open_filters(at: AppTest) -> AppTest:
    """Unfold the sidebar's land-supply filters (their widgets run only while open)."""
    at.session_state["filters_open"] = True
    at.run()
    assert_clean(at)
    return at
