"""A session's first run: the map, then the rest of the page once the browser reports it."""

from __future__ import annotations

import json

from app_harness import APP, RUN_TIMEOUT_S, assert_clean, first_paint, map_args
from streamlit.testing.v1 import AppTest

from geo_app.i18n import load_strings

STRINGS = load_strings()


def test_first_run_draws_the_map_and_asks_it_to_report():
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert_clean(at)
    args = map_args(at)
    assert first_paint.REPORT in args["returned_objects"]
    assert "__GLOBAL_DATA__" in args["script"]
    # The sidebar holds one line until the report; its widgets come with the rest.
    assert [c.value for c in at.sidebar.caption] == [STRINGS.get("app.controls_pending", "zh")]
    assert not at.sidebar.radio and not at.sidebar.checkbox and not at.sidebar.selectbox
    assert not at.main.text_input


def test_the_report_draws_the_whole_page_and_keeps_the_map():
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    first = map_args(at)
    # The map's report is a rerun; AppTest's next run stands for it.
    at.run()
    assert_clean(at)
    second = map_args(at)
    assert first_paint.REPORT not in second["returned_objects"]
    assert at.sidebar.radio(key="lang").value == "zh"
    assert at.sidebar.checkbox and at.sidebar.selectbox(key="basemap")
    assert at.main.text_input(key="search_query")
    # The same script and the same component key: the browser keeps the drawn map.
    assert second["script"] == first["script"]
    assert second["key"] == first["key"]


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
