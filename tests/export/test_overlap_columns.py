"""Overlap columns in the parcel exports: CSV, XLSX, GeoPackage, GeoJSON and KML carry each
parcel's hectares in farmland, in the red line, outside the development boundary and in
cultivated land, and its conflicts, as ``check_workspace`` gives them; only the kinds
checked have a column; no reference layer, no such column; cells stay values."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pyogrio
import pytest
import shapely
from compliance_cases import ALL_KINDS, build_case
from control_files import FARMLAND, PARCELS, geodesic_ha
from export_helpers import FIXED_DATE

from geo_app.cli import main
from geo_app.control import check_workspace
from geo_app.export import ExportRequest, export_to_file, render
from geo_app.export.cells import FORMULA_STARTS
from geo_app.export.compliance import conflict_text
from geo_app.i18n import load_strings

STRINGS = load_strings()
PARCEL_LAYER = "land_parcels"
FIGURES = ("farmland_ha", "eco_redline_ha", "outside_dev_boundary_ha", "cultivated_ha")
KIND_OF = {"farmland_ha": "farmland", "eco_redline_ha": "eco_redline",
           "outside_dev_boundary_ha": "dev_boundary", "cultivated_ha": "landuse"}


def header(name: str, lang: str = "zh") -> str:
    return STRINGS.get(f"export.table.{name}", lang)


def expected(case, lang: str = "zh") -> dict[str, dict[str, object]]:
    """Each parcel's overlap values from the check itself."""
    out = {}
    for parcel in check_workspace(case.workspace).parcels:
        values = {name: getattr(parcel, name) for name in FIGURES[:3]}
        values["cultivated_ha"] = parcel.cultivated_ha
        values["conflicts"] = conflict_text(parcel, lang)
        out[parcel.parcel_id] = values
    return out


def export(case, fmt: str, lang: str = "zh") -> bytes:
    request = ExportRequest(format=fmt, lang=lang, date=FIXED_DATE)
    return render(request, ledger=case.ledger, workspace=case.workspace).data


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> tuple[list[dict[str, object]], object]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], book


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return build_case(tmp_path_factory.mktemp("full"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_columns_are_the_check_figures(full, lang):
    rows = csv_rows(export(full, "csv", lang))
    truth = expected(full, lang)
    assert len(rows) == len(PARCELS)
    id_header = STRINGS.get("export.table.id", lang)
    for row in rows:
        want = truth[row[id_header]]
        for name in FIGURES:
            assert float(row[header(name, lang)]) == round(want[name], 4)
        assert row[header("conflicts", lang)] == want["conflicts"]
    clear = next(row for row in rows if row[id_header] == "touching_edge")
    assert clear[header("conflicts", lang)] == STRINGS.get("export.compliance.clear", lang)


def test_xlsx_columns_are_the_check_figures_as_hectare_numbers(full):
    rows, book = xlsx_rows(export(full, "xlsx"))
    truth = expected(full)
    for row in rows:
        want = truth[row[STRINGS.get("export.table.id", "zh")]]
        for name in FIGURES:
            assert row[header(name)] == round(want[name], 4)
        assert row[header("conflicts")] == want["conflicts"]
    sheet = book.worksheets[0]
    titles = [cell.value for cell in sheet[1]]
    column = titles.index(header("farmland_ha")) + 1
    assert sheet.cell(2, column).number_format == "0.0000"
    # The notes name the layers the figures come from.
    notes = " ".join(str(row[0]) for row in book.worksheets[1].iter_rows(values_only=True))
    for layer in full.workspace.reference_layers():
        assert layer.source in notes and layer.loaded_by in notes


def test_the_figures_are_within_five_square_metres_of_geod(full):
    rows = csv_rows(export(full, "csv"))
    fields = shapely.union_all(list(FARMLAND.values()))
    for row in rows:
        geometry = PARCELS[row[STRINGS.get("export.table.id", "zh")]]
        truth = geodesic_ha(shapely.intersection(geometry, fields))
        assert abs(float(row[header("farmland_ha")]) - truth) < 5e-4


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "kml"])
def test_geodata_carry_the_columns_under_their_names(full, tmp_path, fmt):
    target = tmp_path / f"parcels.{fmt}"
    request = ExportRequest(format=fmt, date=FIXED_DATE)
    export_to_file(request, target, ledger=full.ledger, workspace=full.workspace)
    truth = expected(full)
    if fmt == "geojson":
        features = json.loads(target.read_text(encoding="utf-8"))["features"]
        records = [f["properties"] for f in features if f["properties"]["layer"] == PARCEL_LAYER]
    else:
        layers = [name for name, _ in pyogrio.list_layers(target)]
        layer = next(name for name in layers if PARCEL_LAYER in name or "征供地" in name)
        records = pyogrio.read_dataframe(target, layer=layer).to_dict("records")
    assert len(records) == len(PARCELS)
    for record in records:
        want = truth[record["id"]]
        for name in FIGURES:
            assert float(record[name]) == pytest.approx(want[name], abs=5e-7)
        assert record["conflicts"] == want["conflicts"]


def test_only_the_kinds_checked_have_a_column(tmp_path):
    case = build_case(tmp_path, kinds=("farmland", "dev_boundary"))
    rows = csv_rows(export(case, "csv"))
    columns = set(rows[0])
    assert header("farmland_ha") in columns and header("outside_dev_boundary_ha") in columns
    assert header("eco_redline_ha") not in columns
    assert header("cultivated_ha") not in columns
    assert header("conflicts") in columns
    frame = _gpkg_parcels(case, tmp_path)
    assert "farmland_ha" in frame.columns and "eco_redline_ha" not in frame.columns


def _gpkg_parcels(case, folder):
    target = folder / "parcels.gpkg"
    export_to_file(ExportRequest(format="gpkg", date=FIXED_DATE), target, ledger=case.ledger,
                   workspace=case.workspace)
    layers = [name for name, _ in pyogrio.list_layers(target)]
    layer = next(name for name in layers if PARCEL_LAYER in name or "征供地" in name)
    return pyogrio.read_dataframe(target, layer=layer)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_reference_layer_no_overlap_column(tmp_path, fmt):
    case = build_case(tmp_path, kinds=())
    data = export(case, fmt)
    columns = set(csv_rows(data)[0]) if fmt == "csv" else set(xlsx_rows(data)[0][0])
    for name in (*FIGURES, "conflicts"):
        assert header(name) not in columns
    assert "farmland_ha" not in _gpkg_parcels(case, tmp_path).columns


def test_without_a_workspace_no_overlap_column():
    rows = csv_rows(render(ExportRequest(format="csv", date=FIXED_DATE)).data)
    assert header("farmland_ha") not in rows[0]


FORMULA_ID = "=HYPERLINK(\"http://evil\",\"x\")"


def test_cells_stay_values_with_hostile_ids_and_a_planner_column_of_our_name(tmp_path):
    parcels = {FORMULA_ID: PARCELS["half_in_farmland"], "+1-1": PARCELS["two_parts"]}
    case = build_case(tmp_path, kinds=ALL_KINDS, parcels=parcels,
                      parcel_properties={FORMULA_ID: {"farmland_ha": "-99"}})
    rows = csv_rows(export(case, "csv"))
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), value
    assert {row[STRINGS.get("export.table.id", "zh")] for row in rows} == {
        "'" + FORMULA_ID, "'+1-1"}
    _, book = xlsx_rows(export(case, "xlsx"))
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f"
    # The planner's own column of that name is kept beside ours, renamed.
    frame = _gpkg_parcels(case, tmp_path)
    truth = expected(case)
    record = frame[frame["id"] == FORMULA_ID].iloc[0]
    assert float(record["farmland_ha"]) == pytest.approx(truth[FORMULA_ID]["farmland_ha"])
    assert record["farmland_ha_原值"] == "-99"


def test_the_cli_exports_the_columns_from_the_workspace(full, tmp_path):
    target = tmp_path / "parcels.csv"
    out, err = io.StringIO(), io.StringIO()
    code = main(["export", "--workspace", str(full.workspace.path.parent), "--out",
                 str(target)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    rows = csv_rows(target.read_bytes())
    truth = expected(full)
    for row in rows:
        assert float(row[header("farmland_ha")]) == round(
            truth[row[STRINGS.get("export.table.id", "zh")]]["farmland_ha"], 4)
