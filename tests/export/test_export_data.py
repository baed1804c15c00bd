"""Data exports round-trip through GDAL (pyogrio) with Chinese text, provenance and areas."""

from __future__ import annotations

import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from export_helpers import FIXED_DATE

from geo_app.catalog import load_catalog, load_layer_frame
from geo_app.export import ExportRequest, export_to_file, render
from geo_app.export.data import PARCEL_COLUMNS, _kml_description
from geo_app.geodesy import hectares
from geo_app.i18n import t
from geo_app.ledger import default_ledger

# KML coordinates are written as the shortest text that reads back as the same number, so
# vertices come back unchanged: the measured hectare difference after the round trip is 0
# for every polygon. 1e-9 leaves room for another GDAL build's number parsing and still
# catches coordinates cut to 6-7 significant digits (~1e-6).
KML_RELATIVE_TOLERANCE = 1e-9
GEO_RELATIVE_TOLERANCE = 1e-6


def polygon_layers() -> list[str]:
    return [spec.id for spec in load_catalog().layers if spec.geometry == "polygon"]


def original_hectares(layer_id: str) -> dict[str, float]:
    frame = load_layer_frame(layer_id)
    areas = hectares(np.asarray(frame.geometry.array, dtype=object))
    return dict(zip(frame["id"], areas, strict=True))


def assert_areas_match(frame, layer_id: str, tolerance: float) -> None:
    expected = original_hectares(layer_id)
    measured = hectares(np.asarray(frame.geometry.array, dtype=object))
    assert len(measured) == len(expected)
    for fid, area in zip(frame["id"], measured, strict=True):
        assert area == pytest.approx(expected[fid], rel=tolerance)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    paths = {}
    for fmt in ("geojson", "gpkg", "kml", "csv", "xlsx"):
        paths[fmt] = export_to_file(
            ExportRequest(format=fmt, date=FIXED_DATE), folder / f"all.{fmt}"
        )
    return paths


def test_geojson_is_one_collection_with_a_layer_property(written):
    collection = json.loads(written["geojson"].read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    layers = {f["properties"]["layer"] for f in collection["features"]}
    assert layers == set(load_catalog().ids())
    for feature in collection["features"]:
        properties = feature["properties"]
        assert properties["accuracy"] and properties["source"]
        assert isinstance(properties["sample_data"], bool)


def test_geojson_round_trip_keeps_chinese_names_and_areas(written):
    frame = pyogrio.read_dataframe(written["geojson"])
    boundary_name = load_layer_frame("boundary")["name_zh"].iloc[0]
    assert boundary_name in set(frame["name_zh"])
    for layer_id in polygon_layers():
        part = frame[frame["layer"] == layer_id]
        assert_areas_match(part, layer_id, GEO_RELATIVE_TOLERANCE)
        expected = original_hectares(layer_id)
        for fid, stored in zip(part["id"], part["hectares"], strict=True):
            assert stored == pytest.approx(expected[fid], rel=GEO_RELATIVE_TOLERANCE)


def test_gpkg_has_one_table_per_layer_with_attributes_and_areas(written):
    tables = {name for name, _ in pyogrio.list_layers(written["gpkg"])}
    assert tables == set(load_catalog().ids())
    for spec in load_catalog().layers:
        frame = pyogrio.read_dataframe(written["gpkg"], layer=spec.id)
        original = load_layer_frame(spec)
        assert list(frame["name_zh"]) == list(original["name_zh"])
        assert {"accuracy", "source", "sample_data", "layer"} <= set(frame.columns)
        if spec.geometry == "polygon":
            assert_areas_match(frame, spec.id, GEO_RELATIVE_TOLERANCE)
        info = pyogrio.read_info(written["gpkg"], layer=spec.id)
        assert info["layer_metadata"]["sample_data"] == str(spec.sample_data).lower()


def test_kml_round_trip_keeps_chinese_names_and_areas(written):
    # One folder per layer, named in Chinese; each row also names its layer by id.
    folders = {name for name, _ in pyogrio.list_layers(written["kml"])}
    assert folders == {spec.name("zh") for spec in load_catalog().layers}
    for spec in load_catalog().layers:
        frame = pyogrio.read_dataframe(written["kml"], layer=spec.name("zh"))
        assert set(frame["layer"]) == {spec.id}
        original = load_layer_frame(spec)
        assert list(frame["Name"]) == list(original["name_zh"])
        assert list(frame["id"]) == list(original["id"])
        assert set(frame["accuracy"]) <= {"surveyed", "approximate", "schematic"}
        if spec.geometry == "polygon":
            assert_areas_match(frame, spec.id, KML_RELATIVE_TOLERANCE)


def test_kml_descriptions_escape_property_text():
    row = {"note_zh": "<script>alert(1)</script>", "accuracy": "schematic",
           "source": 'a & b "c"', "sample_note": None}
    description = _kml_description(row, "zh")
    assert "<script>" not in description
    assert "&lt;script&gt;" in description and "&amp; b &quot;c&quot;" in description


def test_chosen_layers_only(tmp_path):
    data = render(ExportRequest(format="geojson", layers=("towns", "rivers"))).data
    layers = {f["properties"]["layer"] for f in json.loads(data)["features"]}
    assert layers == {"towns", "rivers"}


def test_csv_opens_with_chinese_intact_and_one_row_per_parcel(written):
    raw = written["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    ledger = default_ledger()
    assert len(table) == ledger.parcel_count
    assert list(table.columns) == [t(label, "zh") for _, label in PARCEL_COLUMNS]
    towns = set(table[t("popup.town", "zh")])
    assert towns and towns <= set(ledger.parcels["town"])
    area = table[t("export.table.hectares", "zh")]
    assert area.sum() == pytest.approx(ledger.total_ha, abs=5e-5 * len(table))
    plane = table[t("export.table.plane_hectares", "zh")]
    assert np.allclose(plane / area, 1.0, atol=5e-4)  # GK plane area is within ~1e-4
    assert set(table[t("popup.sample_data", "zh")]) == {t("export.table.yes", "zh")}
    assert table[t("popup.accuracy", "zh")].notna().all()
    assert table[t("popup.source", "zh")].notna().all()


def test_xlsx_opens_with_the_right_rows_and_columns(written):
    workbook = openpyxl.load_workbook(written["xlsx"])
    sheet = workbook[t("export.table.sheet_parcels", "zh")]
    assert sheet.max_row == default_ledger().parcel_count + 1
    assert sheet.max_column == len(PARCEL_COLUMNS)
    headers = [cell.value for cell in sheet[1]]
    assert headers == [t(label, "zh") for _, label in PARCEL_COLUMNS]
    area_column = headers.index(t("export.table.hectares", "zh")) + 1
    assert sheet.cell(2, area_column).number_format == "0.0000"
    notes = workbook[t("export.table.sheet_notes", "zh")]
    note_text = " ".join(str(cell.value) for (cell,) in notes.iter_rows())
    assert "200" in note_text and t("export.supply.sample", "zh") in note_text


def test_english_tables_have_english_headers():
    data = render(ExportRequest(format="csv", lang="en")).data
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(table.columns) == [t(label, "en") for _, label in PARCEL_COLUMNS]


def test_parcel_tables_and_supply_lines_name_statuses_as_the_map_does(written):
    from geo_app.export.supply import summary_from_ledger
    from geo_app.parcel_labels import status_name

    table = pd.read_csv(io.BytesIO(written["csv"].read_bytes()), encoding="utf-8-sig")
    ledger = default_ledger()
    expected = {status_name(code, "zh") for code in ledger.parcels["status"]}
    assert set(table[t("popup.status", "zh")]) == expected == {"计划供地", "征收中", "已供地"}
    assert set(table[t("popup.use", "zh")]) == set(ledger.parcels["use_zh"])
    lines = summary_from_ledger(ledger).lines("zh")
    assert any(line.startswith("征收中：") for line in lines)
    english = summary_from_ledger(ledger).lines("en")
    assert any(line.startswith("In acquisition: ") for line in english)
