"""Helpers for driving streamlit_app.py headless with streamlit.testing.v1.AppTest.

A module of its own, not conftest.py: tests/browser has a conftest too, and
``from conftest import`` would pick whichever was loaded last.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
# app_parts sits beside streamlit_app.py, outside the installed package.
if str(APP.parent) not in sys.path:
    sys.path.insert(0, str(APP.parent))
first_paint = importlib.import_module("app_parts.first_paint")
# The first run loads every layer and measures every target; later runs hit the cache.
RUN_TIMEOUT_S = 60
# Generous bound on a worker answering between two runs (it starts in seconds).
WORKER_TIMEOUT_S = 120


def new_app() -> AppTest:
    """The page as a browser has it once the map is drawn: every run draws the whole page.

    (A browser session's very first run draws only the map and waits for the map to report;
    AppTest has no browser, so its session starts past that. tests/app/test_first_paint.py
    covers the first run itself.)
    """
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.session_state[first_paint.DONE] = True
    return at


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


def rerun_until(at: AppTest, found: Callable[[AppTest], bool], what: str) -> AppTest:
    """Run the page again until ``found(at)`` holds: a worker answers between two runs."""
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if found(at):
            return at
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {WORKER_TIMEOUT_S} s")
