"""A session's first run: the map, then the rest of the page once the browser reports it."""

from __future__ import annotations

import json

from app_harness import APP, RUN_TIMEOUT_S, assert_clean, first_paint, map_args
from streamlit.testing.v1 import AppTest

from geo_app.i18n import load_strings

STRINGS = load_strings()


def map_path(at: AppTest) -> list[int]:
    """Where the map sits in the page's element tree (a moved map is drawn anew)."""

    def search(node, path):
        proto = getattr(node, "proto", None)
        if str(getattr(proto, "component_name", "")).endswith("st_folium"):
            return path
        for index, child in getattr(node, "children", {}).items():
            found = search(child, [*path, index])
            if found is not None:
                return found
        return None

    found = search(at._tree, [])
    assert found is not None, "the page draws no map"
    return found


def test_first_run_draws_the_map_and_asks_it_to_report():
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert_clean(at)
    args = map_args(at)
    assert first_paint.REPORT in args["returned_objects"]
    assert "__GLOBAL_DATA__" in args["script"]
    # No sidebar and no tab bar until the report: they come with the rest of the page.
    assert not at.sidebar.children
    assert not at.tabs
    assert not at.main.text_input


def test_the_report_draws_the_whole_page_and_keeps_the_map():
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    first = map_args(at)
    first_path = map_path(at)
    # The map's report is a rerun; AppTest's next run stands for it.
    at.run()
    assert_clean(at)
    second = map_args(at)
    assert first_paint.REPORT not in second["returned_objects"]
    assert at.sidebar.radio(key="lang").value == "zh"
    assert at.tabs[0].label == STRINGS.get("app.tab.map", "zh")
    assert at.sidebar.checkbox and at.sidebar.selectbox(key="basemap")
    assert at.main.text_input(key="search_query")
    # The same script, the same component key and the same place in the page: the
    # browser keeps the drawn map.
    assert second["script"] == first["script"]
    assert second["key"] == first["key"]
    assert map_path(at) == first_path


def test_later_runs_draw_the_whole_page_at_once():
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.session_state[first_paint.DONE] = True
    at.run()
    assert_clean(at)
    assert first_paint.REPORT not in map_args(at)["returned_objects"]
    assert at.sidebar.checkbox


def test_the_report_request_is_read_from_the_component_state():
    element = first_paint.ReportWhenDrawn()
    script = element._template.module.script(element)
    assert json.dumps(first_paint.REPORT) in script
    assert "previous_data = null" in script


def test_a_map_that_cannot_be_drawn_brings_the_rest_of_the_page_at_once(monkeypatch):
    import geo_app.mapview

    def broken_map(options):
        raise OSError("layer file unreadable")

    # The page imports build_map afresh on every run, so it gets this one.
    monkeypatch.setattr(geo_app.mapview, "build_map", broken_map)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert not at.exception
    # No map will report, so the controls do not wait for it; the error is said once.
    assert [e.value for e in at.error].count(
        STRINGS.get("app.error.map", "zh", reason="layer file unreadable")
    ) == 1
    assert len(at.error) == 1
    assert at.sidebar.radio(key="lang").value == "zh"
    assert at.tabs[0].label == STRINGS.get("app.tab.map", "zh")
