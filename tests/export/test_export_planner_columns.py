"""Parcels imported from a land bureau's file keep its columns in every export: the tables
add them after ours with the declared area reconciled, and GeoJSON, GeoPackage and KML
carry them under the bureau's own (Chinese or pinyin) names."""

from __future__ import annotations

import io
import json
import warnings
import xml.etree.ElementTree as ET

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from bureau_files import FLAGGED, LAYOUTS, PARCELS, STATUS_WORDS
from export_helpers import FIXED_DATE

from geo_app.export import ExportRequest, export_to_file, render
from geo_app.export.data import AREA_COLUMNS, KML_RESERVED, PARCEL_COLUMNS
from geo_app.i18n import t
from geo_app.importing import prepare_import
from geo_app.ledger import LandSupplyLedger, ledger_of_plan
from geo_app.parcel_table.planner_columns import planner_columns
from geo_app.parcel_table.understand import ORIGINAL_SUFFIX

KML_NS = {"kml": "http://www.opengis.net/kml/2.2"}
PARCEL_LAYER = "land_parcels"
FLAGGED_ID = PARCELS[FLAGGED].id


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The bureau layouts imported with no options: plan and ledger by layout."""
    made = {}
    for layout in ("chinese_shapefile", "pinyin_geopackage"):
        folder = tmp_path_factory.mktemp(layout)
        plan = prepare_import(LAYOUTS[layout](folder / "file"))
        assert plan.ok, [p.line("en") for p in plan.errors]
        made[layout] = (plan, ledger_of_plan(plan, 200))
    return made


def _table(ledger, fmt: str, lang: str) -> pd.DataFrame:
    data = render(ExportRequest(format=fmt, lang=lang, date=FIXED_DATE), ledger=ledger).data
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    return pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tables_carry_the_bureau_columns_after_ours(imported, fmt):
    _, ledger = imported["chinese_shapefile"]
    table = _table(ledger, fmt, "zh")
    ours = [t(label, "zh") for _, label in (*PARCEL_COLUMNS, *AREA_COLUMNS)]
    assert list(table.columns[: len(ours)]) == ours
    theirs = list(table.columns[len(ours):])
    # 供地状态 is also our header: the bureau's column is kept beside it, renamed.
    assert theirs == ["地块编号", "项目名称", "土地用途", "供地状态" + ORIGINAL_SUFFIX, "供地日期",
                      "所在乡镇", "批准面积"]
    assert list(table["地块编号"]) == [p.id for p in PARCELS]
    assert list(table["项目名称"]) == [p.name for p in PARCELS]
    assert list(table["供地状态" + ORIGINAL_SUFFIX]) == [
        STATUS_WORDS["chinese"][p.status] for p in PARCELS
    ]
    assert list(table["所在乡镇"])[FLAGGED] == "山河"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tables_name_only_the_parcel_whose_declared_area_is_off(imported, fmt, lang):
    _, ledger = imported["chinese_shapefile"]
    table = _table(ledger, fmt, lang)
    check = dict(zip(table[t("export.table.id", lang)],
                     table[t("export.table.area_check", lang)], strict=True))
    mismatch, ok = t("parcel.area_check.mismatch", lang), t("parcel.area_check.ok", lang)
    assert {pid for pid, word in check.items() if word == mismatch} == {FLAGGED_ID}
    assert {pid for pid, word in check.items() if word == ok} == {
        p.id for p in PARCELS} - {FLAGGED_ID}
    row = table[table[t("export.table.id", lang)] == FLAGGED_ID].iloc[0]
    declared = float(row[t("export.table.declared_ha", lang)])
    assert declared == pytest.approx(PARCELS[FLAGGED].hectares * 1.05, abs=1e-4)
    assert float(row[t("export.table.area_diff_pct", lang)]) == pytest.approx(5.0, abs=0.01)


def test_english_tables_keep_the_bureau_names(imported):
    _, ledger = imported["pinyin_geopackage"]
    table = _table(ledger, "csv", "en")
    for name in ("DKBH", "XMMC", "GDZT", "PZMJ"):
        assert name in table.columns
    assert list(table["DKBH"]) == [p.id for p in PARCELS]
    assert list(table["GDZT"]) == [STATUS_WORDS["pinyin"][p.status] for p in PARCELS]


def test_xlsx_formats_the_declared_area_as_hectares(imported):
    _, ledger = imported["chinese_shapefile"]
    data = render(ExportRequest(format="xlsx", date=FIXED_DATE), ledger=ledger).data
    sheet = openpyxl.load_workbook(io.BytesIO(data))[t("export.table.sheet_parcels", "zh")]
    headers = [cell.value for cell in sheet[1]]
    declared = headers.index(t("export.table.declared_ha", "zh")) + 1
    assert sheet.cell(2, declared).number_format == "0.0000"
    # The bureau's own figure stays as it was written.
    assert sheet.cell(FLAGGED + 2, headers.index("批准面积") + 1).value == pytest.approx(
        PARCELS[FLAGGED].hectares * 1.05, abs=1e-4)


def test_shipped_parcels_have_no_bureau_or_area_columns():
    table = pd.read_csv(io.BytesIO(render(ExportRequest(format="csv")).data),
                        encoding="utf-8-sig")
    assert list(table.columns) == [t(label, "zh") for _, label in PARCEL_COLUMNS]


# ------------------------------------------------------------------ geodata


def _export(ledger, fmt: str, folder) -> object:
    request = ExportRequest(format=fmt, layers=(PARCEL_LAYER,), date=FIXED_DATE)
    return export_to_file(request, folder / f"parcels.{fmt}", ledger=ledger)


def _kml_records(path) -> list[dict[str, str]]:
    """Each Placemark's ExtendedData as written (names and texts, not as a reader types them)."""
    root = ET.parse(path).getroot()
    records = []
    for placemark in root.iter(f"{{{KML_NS['kml']}}}Placemark"):
        data = {item.get("name"): item.text or ""
                for item in placemark.iter(f"{{{KML_NS['kml']}}}SimpleData")}
        data["@id"] = placemark.get("id")
        records.append(data)
    return records


def _read(path, fmt: str) -> list[dict]:
    if fmt == "kml":
        return _kml_records(path)
    if fmt == "geojson":
        collection = json.loads(path.read_text(encoding="utf-8"))
        return [feature["properties"] for feature in collection["features"]]
    return pyogrio.read_dataframe(path, layer=PARCEL_LAYER).to_dict("records")


def _same(written, expected) -> bool:
    if isinstance(expected, float):
        return float(written) == pytest.approx(expected, rel=1e-9)
    return str(written) == str(expected)


@pytest.mark.parametrize("layout", ["chinese_shapefile", "pinyin_geopackage"])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml"])
def test_geodata_keep_every_bureau_column_under_its_own_name(imported, tmp_path, fmt, layout):
    plan, ledger = imported[layout]
    records = _read(_export(ledger, fmt, tmp_path), fmt)
    assert len(records) == len(plan.parcels)
    for parcel, record in zip(plan.parcels, records, strict=True):
        for name in planner_columns(parcel.properties):
            assert name in record, (fmt, name)
            assert _same(record[name], parcel.properties[name]), (fmt, name, record[name])
        assert record["area_check"] == ("mismatch" if parcel.parcel_id == FLAGGED_ID else "ok")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml"])
def test_geodata_carry_the_chinese_status_words(imported, tmp_path, fmt):
    _, ledger = imported["chinese_shapefile"]
    path = _export(ledger, fmt, tmp_path)
    records = _read(path, fmt)
    supplied = [p.id for p in PARCELS if p.status == "supplied"]
    words = {r.get("地块编号"): r.get("供地状态") for r in records}
    assert {pid: words[pid] for pid in supplied} == {pid: "已出让" for pid in supplied}
    if fmt == "gpkg":
        fields = list(pyogrio.read_info(path, layer=PARCEL_LAYER)["fields"])
        assert {"地块编号", "项目名称", "供地状态", "所在乡镇", "批准面积"} <= set(fields)


# ------------------------------------------------------------------ names GDAL would refuse

AWKWARD = {
    "ID": "bureau id",  # GeoPackage column names ignore case: meets our ``id``
    "fid": "7a",  # the GeoPackage feature id column
    "geom": "几何备注",  # pyogrio's GeoPackage geometry column
    "Town": "奢岭",  # meets our ``town`` (case only)
    "name": "甲地块",  # LIBKML: the Placemark name
    "Name": "乙",  # … the same, in another case
    "description": "<b>备注</b> & 说明",
    "begin": "2022年",  # LIBKML: TimeSpan (a text that is no date is dropped)
    "altitudeMode": "地面",  # LIBKML: dropped when it is not a KML mode
    "icon": "图标",
    "visibility": "可见",
    "已核实": True,
    "混合": 5,
}


@pytest.fixture
def awkward_ledger():
    first = {"id": "A-1", "status": "supplied", "town": "奢岭街道", "town_derived": True,
             "status" + ORIGINAL_SUFFIX: "已出让", **AWKWARD}
    # No name at all, a missing flag, a text where the first row had a number.
    second = {"id": "A-2", "已核实": None, "混合": "五亩", "fid": "8"}
    frame = gpd.GeoDataFrame(
        [first, second],
        geometry=[shapely.box(125.60, 43.50, 125.61, 43.51),
                  shapely.box(125.62, 43.50, 125.63, 43.51)],
        crs="EPSG:4326",
    )
    return LandSupplyLedger(frame, 200, sample_data=False)


def _value(record: dict, name: str):
    """The value written for a bureau column: under its name or, renamed, ``name_原值…``."""
    for key, value in record.items():
        named = key == name or (isinstance(key, str) and key.startswith(name + ORIGINAL_SUFFIX))
        if named and not (isinstance(value, float) and pd.isna(value)):
            return value
    raise AssertionError(f"{name} is missing from {sorted(map(str, record))}")


@pytest.mark.parametrize("fmt", ["gpkg", "kml"])
def test_bureau_columns_gdal_cannot_take_as_named_are_renamed_not_lost(
    awkward_ledger, tmp_path, fmt
):
    path = _export(awkward_ledger, fmt, tmp_path)
    first, second = _read(path, fmt)
    for name, value in AWKWARD.items():
        written = _value(first, name)
        if isinstance(value, bool):
            assert str(written).lower() in ("true", "1", "1.0"), (name, written)
        else:
            assert _same(written, value), (name, written)
    # Our own columns keep their names.
    assert first["town"] == "奢岭街道"
    assert str(first["status" + ORIGINAL_SUFFIX]) == "已出让"
    assert _same(_value(second, "混合"), "五亩") and _same(_value(second, "fid"), "8")


def test_gpkg_keeps_flags_and_whole_numbers_typed(awkward_ledger, tmp_path):
    path = _export(awkward_ledger, "gpkg", tmp_path)
    info = pyogrio.read_info(path, layer=PARCEL_LAYER)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["已核实"] == "bool" and types["town_derived"] == "bool"
    assert types["混合"] == "object"  # a number in one row, a text in the other


def test_kml_placemarks_without_a_name_are_named_by_id(awkward_ledger, tmp_path):
    root = ET.parse(_export(awkward_ledger, "kml", tmp_path)).getroot()
    names = [p.find("kml:name", KML_NS).text for p in root.iter(f"{{{KML_NS['kml']}}}Placemark")]
    # The first parcel's own "name" column is the bureau's, kept in ExtendedData.
    assert names == ["A-1", "A-2"]


def test_kml_reserved_names_are_the_driver_fields(tmp_path):
    """Written as they are, none of the listed names becomes a declared ExtendedData field:
    LIBKML takes each for a KML element (and loses or mangles what it cannot use)."""
    frame = gpd.GeoDataFrame({name: [f"v-{name}"] for name in sorted(KML_RESERVED)},
                             geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    path = tmp_path / "raw.kml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Unrecognized value for altitudeMode"
        pyogrio.write_dataframe(frame, path, driver="LIBKML", layer="raw")
    text = path.read_text(encoding="utf-8")
    declared = {name for name in KML_RESERVED if f'<SimpleField name="{name}"' in text}
    assert declared == set()
