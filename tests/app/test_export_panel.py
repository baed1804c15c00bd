"""The map tab's export panel: choices, a file made on request, and errors in words."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import zipfile

import pytest
from app_harness import assert_clean, map_args, metric, open_tab

from geo_app.i18n import load_strings

STRINGS = load_strings()
OPEN = "export_open"


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def open_export(at):
    at.session_state[OPEN] = True
    at.run()
    assert_clean(at)
    return at


def make(at):
    [button] = [b for b in at.button if b.key == "export_make"]
    button.click().run()
    assert_clean(at)
    return at


def made_file(at, lang: str = "zh") -> tuple[str, bytes]:
    """The file name on the download button and the bytes it serves."""
    [download] = at.get("download_button")
    result = at.session_state["export_result"]
    label = STRINGS.get("export.panel.download", lang, filename=result["filename"])
    assert download.proto.label == label
    return result["filename"], result["data"]


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


def test_a_pdf_holds_the_title_and_the_total_the_app_shows(app):
    open_tab(app, "land")
    shown_total = metric(app, zh("app.land.total_all"))
    open_tab(app, "map")
    open_export(app)
    app.radio(key="export_extent").set_value("district").run()
    app.text_input(key="export_title").input("双阳区供地简报 <b>测试</b>").run()
    make(app)
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
