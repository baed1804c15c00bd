"""The map tab's export panel: choices, a file made on request (in a worker process when the
selection is big), and errors in words."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from app_harness import assert_clean, map_args, metric, open_filters, open_tab
from export_harness import click_make, finished, made_file, panel

from app_parts.page_data import escape_markdown
from geo_app.export.jobs import IN_PAGE_ENV, start_export
from geo_app.i18n import load_strings
from geo_app.jobs import JobLimits

STRINGS = load_strings()
OPEN = "export_open"
# The worker of tests/export/test_export_jobs.py: its export task outgrows any memory cap or
# never ends, as EXPORT_TEST_WORKER says.
TEST_WORKER = (sys.executable, str(Path(__file__).parents[1] / "export" / "export_job_worker.py"))


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def open_export(at):
    at.session_state[OPEN] = True
    at.run()
    assert_clean(at)
    return at


def make(at):
    click_make(at)
    assert_clean(at)
    return at


@pytest.fixture
def in_worker(monkeypatch):
    """Every selection counts as big: the panel makes its file in a worker process."""
    monkeypatch.setenv(IN_PAGE_ENV, "0")


def held_worker(monkeypatch, how: str, limits: JobLimits) -> None:
    """The panel's workers run the test worker (``how``: allocate or hang) under ``limits``."""
    monkeypatch.setenv(IN_PAGE_ENV, "0")
    monkeypatch.setenv("EXPORT_TEST_WORKER", how)
    monkeypatch.setattr(panel, "start_export", lambda request, selection: start_export(
        request, selection, limits=limits, worker=TEST_WORKER))


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def test_the_panel_asks_for_the_view_only_while_open(app):
    assert zh("export.panel.heading") in [e.label for e in app.expander]
    # Closed: no export widgets ran, and panning the map reruns nothing.
    assert not [b for b in app.button if b.key == "export_make"]
    assert map_args(app)["returned_objects"] == ["last_object_clicked", "last_clicked"]
    open_export(app)
    assert map_args(app)["returned_objects"] == ["last_object_clicked", "last_clicked", "bounds"]
    assert "streamlit:render" in map_args(app)["script"]
    assert app.selectbox(key="export_format").value == "pdf"
    assert app.radio(key="export_extent").value == "view"
    # Nothing is rendered until asked.
    assert not app.get("download_button")
    app.session_state[OPEN] = False
    app.run()
    assert map_args(app)["returned_objects"] == ["last_object_clicked", "last_clicked"]


def test_a_pdf_holds_the_title_and_the_total_the_app_shows(app, in_worker):
    open_tab(app, "land")
    shown_total = metric(app, zh("app.land.total_all"))
    open_tab(app, "map")
    open_export(app)
    app.radio(key="export_extent").set_value("district").run()
    app.text_input(key="export_title").input("双阳区供地简报 <b>测试</b>").run()
    make(app)
    # Made in a worker: the page says so while it runs, and then offers the file.
    assert panel.JOB in app.session_state
    assert not app.get("download_button")
    name, data = made_file(app)
    assert name.endswith(".pdf") and data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "双阳区供地简报 <b>测试</b>" in text
    assert zh("export.supply.total", total=shown_total, target="200") in text


def test_the_english_page_exports_an_english_sheet_with_the_default_title(app):
    app.sidebar.radio(key="lang").set_value("en").run()
    open_export(app)
    make(app)
    _, data = made_file(app, "en")
    text = pdf_text(data)
    assert STRINGS.get("export.title.default", "en") in text
    assert zh("export.title.default") not in text


def test_tables_and_data_files_have_their_formats(app):
    open_export(app)
    expected = {
        "xlsx": b"PK\x03\x04",
        "gpkg": b"SQLite format 3\x00",
        "csv": zh("export.table.id").encode("utf-8"),
    }
    for fmt, start in expected.items():
        app.selectbox(key="export_format").set_value(fmt).run()
        make(app)
        name, data = made_file(app)
        assert name.endswith(f".{fmt}")
        assert start in data[:16], fmt
    with zipfile.ZipFile(io.BytesIO(at_bytes(app, "xlsx"))) as book:
        assert "xl/workbook.xml" in book.namelist()


def at_bytes(at, fmt: str) -> bytes:
    at.selectbox(key="export_format").set_value(fmt).run()
    make(at)
    return made_file(at)[1]


def test_the_gpkg_holds_the_visible_layers_only(app, tmp_path):
    open_export(app)
    data = at_bytes(app, "gpkg")
    path = tmp_path / "out.gpkg"
    path.write_bytes(data)
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
    visible = {key.removeprefix("layer:") for key in app.session_state
               if str(key).startswith("layer:") and app.session_state[key]}
    assert visible and tables == visible


def test_changing_an_option_marks_the_file_out_of_date(app):
    open_export(app)
    make(app)
    assert app.get("download_button")
    app.selectbox(key="export_paper").set_value("A3").run()
    assert not app.get("download_button")
    assert zh("app.export.stale") in [c.value for c in app.caption]


def test_no_layers_chosen_is_reported_in_the_page_language(app):
    open_export(app)
    app.checkbox(key="export_same_layers").uncheck().run()
    app.multiselect(key="export_layers").set_value([]).run()
    [button] = [b for b in app.button if b.key == "export_make"]
    button.click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [zh("export.error.no_layers")]


def _panel_module():
    """app_parts sits beside streamlit_app.py, outside the installed package."""
    import importlib
    import sys

    from geo_app.resources import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module("app_parts.export_panel")


def test_the_view_of_a_map_on_gcj02_tiles_is_exported_in_wgs84():
    from geo_app.basemaps.display_datum import to_display_datum

    view = (125.40, 43.35, 125.90, 43.70)
    south_west = to_display_datum((view[0], view[1]), "gcj02")
    north_east = to_display_datum((view[2], view[3]), "gcj02")
    returned = {"bounds": {"_southWest": {"lng": south_west[0], "lat": south_west[1]},
                           "_northEast": {"lng": north_east[0], "lat": north_east[1]}}}
    box = _panel_module().view_bbox(returned, "gcj02")
    assert box == pytest.approx(view, abs=1e-7)
    assert _panel_module().view_bbox(returned, "wgs84") == pytest.approx(
        (*south_west, *north_east))
    assert _panel_module().view_bbox({"bounds": {"_southWest": {"lng": None}}}, "wgs84") is None
    assert _panel_module().view_bbox(None, "wgs84") is None


def test_a_small_selection_is_made_in_the_pages_run(app):
    open_export(app)
    make(app)
    assert panel.JOB not in app.session_state
    name, data = made_file(app)
    assert name.endswith(".pdf") and data.startswith(b"%PDF")


def page_ids(at) -> list[str]:
    """The parcel ids the page's filters leave, as the land tab's parcel list shows them."""
    open_tab(at, "land")
    table = next(df.value for df in at.dataframe
                 if zh("app.column.id") in df.value.columns
                 and zh("app.column.hectares") in df.value.columns)
    open_tab(at, "map")
    return sorted(table[zh("app.column.id")])


def test_a_worker_exports_the_parcels_the_filters_leave(app, in_worker):
    open_filters(app)
    app.sidebar.multiselect(key="filter_status").select("planned").run()
    shown = page_ids(app)
    open_export(app)
    app.selectbox(key="export_format").set_value("csv").run()
    make(app)
    _, data = made_file(app)
    rows = data.decode("utf-8-sig").splitlines()[1:]
    assert shown and sorted(row.split(",")[0] for row in rows) == shown


def test_a_new_file_replaces_the_old_one_on_disk(app):
    open_export(app)
    make(app)
    first = app.session_state[panel.RESULT]["file"].folder
    assert first.is_dir()
    app.selectbox(key="export_format").set_value("csv").run()
    make(app)
    made_file(app)
    assert not first.exists()


def test_a_worker_out_of_memory_is_said_in_words(app, monkeypatch):
    held_worker(monkeypatch, "allocate", JobLimits(memory_bytes=512 * 1024 * 1024))
    open_export(app)
    make(app)
    folder = app.session_state[panel.JOB]["file"].folder
    finished(app)
    assert not app.exception
    said = escape_markdown(zh("app.export.job.memory", memory=512))
    assert [e.value for e in app.error] == [said]
    assert not app.get("download_button")
    assert not folder.exists()


def test_a_worker_past_its_time_is_said_in_words(app, monkeypatch):
    held_worker(monkeypatch, "hang", JobLimits(time_s=1.0))
    open_export(app)
    make(app)
    finished(app)
    assert [e.value for e in app.error] == [escape_markdown(zh("app.export.job.time", seconds="1"))]


def test_a_running_worker_can_be_stopped(app, monkeypatch):
    held_worker(monkeypatch, "hang", JobLimits())
    open_export(app)
    make(app)
    active = app.session_state[panel.JOB]
    app.button(key=panel.CANCEL).click().run()
    assert not app.exception
    assert panel.JOB not in app.session_state
    assert active["job"].poll().outcome == "cancelled"
    assert not active["file"].folder.exists()
    assert zh("app.export.job.cancelled") in [c.value for c in app.caption]
    assert not app.error and not app.get("download_button")


def test_a_sessions_files_go_when_its_caches_are_released(app):
    open_export(app)
    make(app)
    made_file(app)
    folder = app.session_state[panel.RESULT]["file"].folder
    assert folder.is_dir()
    # What a disconnecting session's end does: its session-scoped caches are released
    # (here every cache, through the public call).
    st.cache_resource.clear()
    assert not folder.exists()
    # A page that comes back says so rather than offering a file that is gone.
    app.run()
    assert not app.get("download_button")
    assert zh("app.export.gone") in [c.value for c in app.caption]
