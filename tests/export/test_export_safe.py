"""Exports that cannot be turned into weapons: hostile ids, names, column names and values
from a bureau's file come out of KML as text (never markup), and out of CSV and XLSX as
text (never formulas); an export that lost a layer or a feature fails instead of passing."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from bureau_files import LAYOUTS, PARCELS
from export_helpers import FIXED_DATE

from geo_app.catalog import load_catalog
from geo_app.export import ExportRequest, export_to_file, render
from geo_app.i18n import t
from geo_app.importing import prepare_import
from geo_app.ledger import LandSupplyLedger, ledger_of_plan

KML = "{http://www.opengis.net/kml/2.2}"
PARCEL_LAYER = "land_parcels"
# Spreadsheet programs read a text cell starting with one of these as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The id of the report: closes the Placemark and opens the attacker's own.
INJECTED_ID = (
    'x"/></Placemark><Placemark><name>evil</name><description><![CDATA['
    '<img src=x onerror=alert(1)><a href="javascript:alert(2)">go</a>]]></description>'
    '</Placemark><Placemark id="y'
)
INJECTED_NAME = '<a href="javascript:alert(1)">点我</a> & ]]> </name><evil/>'
# Column names: markup, quotes, ampersands, a CDATA end, a Placemark break, a script link.
HOSTILE_COLUMNS = {
    "<a>": "<b>bold</b>",
    'say "hi"': 'value "quoted"',
    "R&D": "a & b &amp; c",
    "x]]>y": "]]><script>alert(1)</script>",
    "</Placemark><Placemark>": "</SimpleData></SchemaData></ExtendedData><evil/>",
    "javascript:alert(1)": "javascript:alert(document.domain)",
    "<img src=x onerror=alert(1)>": '<img src=x onerror="alert(1)">',
}
# XML 1.0 forbids these characters anywhere in a document: they are dropped.
CONTROL_COLUMN = "ctl\x01\x0bname"
CONTROL_VALUE = "bad\x00\x07\x1bvalue\ufffe"
# Every element a KML export may hold; anything else was injected.
KML_ELEMENTS = {
    "kml", "Document", "Schema", "SimpleField", "Folder", "name", "description",
    "Placemark", "ExtendedData", "SchemaData", "SimpleData", "Point", "LineString",
    "Polygon", "outerBoundaryIs", "innerBoundaryIs", "LinearRing", "coordinates",
    "MultiGeometry",
}


@pytest.fixture(scope="module")
def bureau_ledger(tmp_path_factory) -> LandSupplyLedger:
    """The bureau's Chinese Shapefile, imported as a planner would."""
    plan = prepare_import(LAYOUTS["chinese_shapefile"](tmp_path_factory.mktemp("bureau") / "f"))
    assert plan.ok
    return ledger_of_plan(plan, 200)


@pytest.fixture(scope="module")
def hostile_ledger(bureau_ledger) -> LandSupplyLedger:
    """The same parcels with the first one's id and name and some columns made hostile."""
    frame = bureau_ledger.parcels.drop(columns="hectares").copy()
    frame["id"] = frame["id"].astype(object)
    frame["name_zh"] = frame["name_zh"].astype(object)
    frame.loc[0, "id"] = INJECTED_ID
    frame.loc[0, "name_zh"] = INJECTED_NAME
    for column, value in HOSTILE_COLUMNS.items():
        frame[column] = [value] + [f"ok-{n}" for n in range(1, len(frame))]
    frame[CONTROL_COLUMN] = [CONTROL_VALUE] * len(frame)
    return LandSupplyLedger(frame, 200, sample_data=False)


# The parcel layer's folder: a planner's parcels are no sample, so no sample mark.
PARCELS_NAME = load_catalog().layer(PARCEL_LAYER).name_zh


def _kml(ledger: LandSupplyLedger | None, layers: tuple[str, ...] | None = None) -> bytes:
    request = ExportRequest(format="kml", layers=layers, date=FIXED_DATE)
    return render(request, ledger=ledger).data


def _folders(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{KML}Folder"))


def _shape(data: bytes) -> list[tuple[str, int]]:
    """(folder name, Placemark count) of each folder, in order."""
    root = ET.fromstring(data)
    return [(folder.findtext(f"{KML}name"), len(folder.findall(f"{KML}Placemark")))
            for folder in _folders(root)]


def _parcels(data: bytes) -> list[ET.Element]:
    root = ET.fromstring(data)
    (folder,) = [f for f in _folders(root) if f.get("id") == PARCEL_LAYER]
    return folder.findall(f"{KML}Placemark")


def _simple_data(placemark: ET.Element) -> dict[str, str]:
    return {item.get("name"): item.text or "" for item in placemark.iter(f"{KML}SimpleData")}


class _Tags(HTMLParser):
    """The tags and attributes a viewer would find in a description rendered as HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def _html_tags(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


# ------------------------------------------------------------------ KML


def test_hostile_kml_has_the_layers_and_features_of_a_clean_one(bureau_ledger, hostile_ledger):
    clean, hostile = _kml(bureau_ledger), _kml(hostile_ledger)
    assert _shape(hostile) == _shape(clean)
    assert len(_shape(clean)) == len(load_catalog().layers)
    assert dict(_shape(clean))[PARCELS_NAME] == len(PARCELS)


def test_hostile_kml_holds_no_injected_element(hostile_ledger):
    root = ET.fromstring(_kml(hostile_ledger))
    tags = Counter(element.tag.removeprefix(KML) for element in root.iter())
    assert set(tags) <= KML_ELEMENTS
    # One name per folder and per Placemark, one description at most: none was added.
    placemarks = list(root.iter(f"{KML}Placemark"))
    assert tags["name"] == len(placemarks) + len(_folders(root))
    assert all(len(p.findall(f"{KML}name")) == 1 for p in placemarks)
    assert all(len(p.findall(f"{KML}description")) <= 1 for p in placemarks)
    assert "evil" not in {p.findtext(f"{KML}name") for p in placemarks}


def test_hostile_ids_and_names_come_back_as_text(hostile_ledger):
    first = _parcels(_kml(hostile_ledger))[0]
    assert first.get("id") == INJECTED_ID
    assert first.findtext(f"{KML}name") == INJECTED_NAME


def test_descriptions_of_hostile_parcels_render_no_markup(hostile_ledger):
    frame = hostile_ledger.parcels.copy()
    frame["note_zh"] = '<img src=x onerror=alert(1)><a href="javascript:alert(2)">go</a>]]>'
    frame["source"] = INJECTED_ID
    ledger = LandSupplyLedger(frame.drop(columns="hectares"), 200, sample_data=False)
    for placemark in _parcels(_kml(ledger, (PARCEL_LAYER,))):
        description = placemark.findtext(f"{KML}description")
        assert description and "onerror" in description  # the text is there, as text
        found = _html_tags(description)
        assert set(found.tags) <= {"br"} and found.attributes == []


def test_hostile_column_names_and_values_round_trip_as_text(hostile_ledger):
    first, second = (_simple_data(p) for p in _parcels(_kml(hostile_ledger))[:2])
    for column, value in HOSTILE_COLUMNS.items():
        assert first[column] == value
        assert second[column] == "ok-1"
    # Characters XML forbids are dropped, from names and values, instead of breaking it.
    assert first["ctlname"] == "badvalue"
    assert first["地块编号"] == PARCELS[0].id


def test_schema_declares_each_hostile_column_once_as_an_attribute(hostile_ledger):
    root = ET.fromstring(_kml(hostile_ledger, (PARCEL_LAYER,)))
    fields = [field.get("name") for field in root.iter(f"{KML}SimpleField")]
    assert len(fields) == len(set(fields))
    assert set(HOSTILE_COLUMNS) | {"ctlname"} <= set(fields)


def test_gdal_reads_the_hostile_kml_back(hostile_ledger, bureau_ledger, tmp_path):
    paths = {}
    for label, ledger in (("clean", bureau_ledger), ("hostile", hostile_ledger)):
        request = ExportRequest(format="kml", date=FIXED_DATE)
        paths[label] = export_to_file(request, tmp_path / f"{label}.kml", ledger=ledger)

    def counts(path) -> dict[str, int]:
        return {name: pyogrio.read_info(path, layer=name)["features"]
                for name, _ in pyogrio.list_layers(path)}

    assert counts(paths["hostile"]) == counts(paths["clean"])
    parcels = pyogrio.read_dataframe(paths["hostile"], layer=PARCELS_NAME)
    assert parcels["id"].iloc[0] == INJECTED_ID
    assert parcels["Name"].iloc[0] == INJECTED_NAME
    for column, value in HOSTILE_COLUMNS.items():
        assert parcels[column].iloc[0] == value


def test_kml_keeps_values_typed(hostile_ledger):
    root = ET.fromstring(_kml(hostile_ledger, (PARCEL_LAYER,)))
    types = {field.get("name"): field.get("type") for field in root.iter(f"{KML}SimpleField")}
    assert types["批准面积"] == types["hectares"] == "double"
    assert types["sample_data"] == "bool"
    assert types["<a>"] == types["地块编号"] == "string"


def test_kml_coordinates_are_lon_lat(bureau_ledger):
    first = _parcels(_kml(bureau_ledger, (PARCEL_LAYER,)))[0]
    text = first.findtext(f".//{KML}coordinates")
    lon, lat = (float(v) for v in text.split()[0].split(",")[:2])
    assert 125 < lon < 126.5 and 43 < lat < 44.5


def test_kml_coordinates_near_zero_are_written_out_in_full():
    from geo_app.export import kml as kml_writer

    line = shapely.LineString([(1e-7, -2.5e-5), (125.123456789012, 43.5)])
    text = kml_writer.document_bytes([kml_writer.KmlLayer(
        "a", "A", "", [kml_writer.KmlFeature("f", "F", "", {}, line)])])
    coordinates = ET.fromstring(text).findtext(f".//{KML}coordinates")
    assert "e" not in coordinates
    points = [tuple(float(v) for v in point.split(",")) for point in coordinates.split()]
    assert points == list(line.coords)


def test_a_kml_that_lost_a_feature_is_refused():
    from geo_app.export import kml as kml_writer
    from geo_app.export.written import IncompleteExport

    given = [("a", 2), ("b", 1)]
    good = kml_writer.document_bytes([
        kml_writer.KmlLayer("a", "A", "", _features(2)),
        kml_writer.KmlLayer("b", "B", "", _features(1)),
    ])
    kml_writer.check_counts(good, given)
    root = ET.fromstring(good)
    folder = _folders(root)[0]
    folder.remove(folder.find(f"{KML}Placemark"))
    with pytest.raises(IncompleteExport):
        kml_writer.check_counts(ET.tostring(root), given)
    root.find(f"{KML}Document").remove(_folders(root)[1])
    with pytest.raises(IncompleteExport):
        kml_writer.check_counts(ET.tostring(root), given)


def _features(count: int) -> list:
    from geo_app.export import kml as kml_writer

    return [kml_writer.KmlFeature(f"f{n}", f"F{n}", "", {}, shapely.Point(125, 43))
            for n in range(count)]


def test_an_export_that_lost_a_layer_fails_and_writes_nothing(monkeypatch, tmp_path):
    from geo_app.cli import main
    from geo_app.export import kml as kml_writer
    from geo_app.export.written import IncompleteExport

    real = kml_writer.write_document

    def drop_last_layer(layers, *args, **kwargs):
        return real(list(layers)[:-1], *args, **kwargs)

    monkeypatch.setattr(kml_writer, "write_document", drop_last_layer)
    target = tmp_path / "lost.kml"
    with pytest.raises(IncompleteExport):
        export_to_file(ExportRequest(format="kml", date=FIXED_DATE), target)
    assert not target.exists()
    out, err = io.StringIO(), io.StringIO()
    code = main(["export", "--out", str(target)], stdout=out, stderr=err)
    assert code != 0 and not target.exists()
    assert t("export.error.incomplete_layers", "zh", written=len(load_catalog().layers) - 1,
             given=len(load_catalog().layers)) in err.getvalue()


def test_a_geopackage_that_lost_a_layer_fails(monkeypatch, tmp_path):
    from geo_app.export import data
    from geo_app.export.written import IncompleteExport

    real = data.pyogrio.write_arrow

    def skip_parcels(stream, path, layer, **kwargs):
        if layer != PARCEL_LAYER:
            real(stream, path, layer=layer, **kwargs)

    monkeypatch.setattr(data.pyogrio, "write_arrow", skip_parcels)
    with pytest.raises(IncompleteExport):
        export_to_file(ExportRequest(format="gpkg", date=FIXED_DATE), tmp_path / "lost.gpkg")
    assert not (tmp_path / "lost.gpkg").exists()


def test_empty_and_missing_geometries_are_written():
    frame = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", None]},
                             geometry=[shapely.Polygon(), None], crs="EPSG:4326")
    ledger = LandSupplyLedger(frame, 200, sample_data=False)
    placemarks = _parcels(_kml(ledger, (PARCEL_LAYER,)))
    assert [p.findtext(f"{KML}name") for p in placemarks] == ["甲", "b"]


# ------------------------------------------------------------------ CSV and XLSX

FORMULAS = {
    "name_zh": "=cmd|' /C calc'!A0",
    "town": "+1+1",
    "项目名称": "@SUM(1+1)",
    "备注": "-2+3",
    "制表": "\t=1+1",
    "回车": "\r=1+1",
}
FORMULA_HEADER = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture(scope="module")
def formula_ledger(bureau_ledger) -> LandSupplyLedger:
    frame = bureau_ledger.parcels.drop(columns="hectares").copy()
    for column, value in FORMULAS.items():
        frame[column] = frame[column].astype(object) if column in frame else None
        frame.loc[0, column] = value
    frame[FORMULA_HEADER] = ["=1+2"] + ["fine"] * (len(frame) - 1)
    frame["差值"] = [-5.5] + [1.0] * (len(frame) - 1)
    frame["控制字符"] = ["\x01=1+1\x07"] + ["ok"] * (len(frame) - 1)
    return LandSupplyLedger(frame, 200, sample_data=False)


def _table_request(fmt: str) -> ExportRequest:
    return ExportRequest(format=fmt, date=FIXED_DATE, title="=HYPERLINK(\"http://x\")")


def test_spreadsheet_text_neutralises_only_text():
    from geo_app.export.cells import FORMULA_STARTS as starts
    from geo_app.export.cells import spreadsheet_text

    for text in ("=1+1", "+1", "-1+1", "@A1", "\t=1", "\r=1"):
        assert spreadsheet_text(text) == "'" + text
    assert spreadsheet_text("地块 =1") == "地块 =1"
    assert spreadsheet_text(-5.5) == -5.5 and spreadsheet_text(-3) == -3
    assert set(starts) == set(FORMULA_STARTS)


def test_csv_cells_carry_no_formula(formula_ledger):
    data = render(_table_request("csv"), ledger=formula_ledger).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    for row in rows:
        for cell in row:
            assert not cell.startswith(tuple(FORMULA_STARTS)) or _is_number(cell), cell
    assert first[t("export.table.name", "zh")] == "'" + FORMULAS["name_zh"]
    assert first[t("popup.town", "zh")] == "'" + FORMULAS["town"]
    assert first["制表"] == "'" + FORMULAS["制表"] and first["回车"] == "'" + FORMULAS["回车"]
    assert "'" + FORMULA_HEADER in header and first["'" + FORMULA_HEADER] == "'=1+2"
    # Numbers stay numbers, negative ones too.
    assert float(first["差值"]) == -5.5
    assert float(first[t("export.table.hectares", "zh")]) > 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_xlsx_cells_are_values_never_formulas(formula_ledger):
    data = render(_table_request("xlsx"), ledger=formula_ledger).data
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    sheet = workbook[t("export.table.sheet_parcels", "zh")]
    headers = [cell.value for cell in sheet[1]]
    first = dict(zip(headers, (cell.value for cell in sheet[2]), strict=True))
    assert first[t("export.table.name", "zh")] == "'" + FORMULAS["name_zh"]
    assert first["项目名称"] == "'" + FORMULAS["项目名称"]
    assert first["备注"] == "'" + FORMULAS["备注"]
    assert "'" + FORMULA_HEADER in headers and first["'" + FORMULA_HEADER] == "'=1+2"
    # Characters openpyxl refuses are dropped (before the formula check, so the "=" they
    # hid is neutralised too).
    assert first["控制字符"] == "'=1+1"
    difference = sheet.cell(2, headers.index("差值") + 1)
    assert difference.data_type == "n" and difference.value == -5.5
    notes = workbook[t("export.table.sheet_notes", "zh")]
    assert notes.cell(2, 1).value == "'=HYPERLINK(\"http://x\")"
