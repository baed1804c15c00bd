"""The compliance sheet: the figures of ``check_workspace`` to the printed decimals, the
sources and dates of every reference layer, kinds not checked said as such, a long table
continued or counted (never silently cut), PDF, PNG and SVG, and hostile text as text."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import shapely
from compliance_cases import (
    ALL_KINDS,
    LOADED_BY,
    build_case,
    figure_text,
    pdf_raw_text,
    pdf_words,
    row_text,
    text_lines,
)
from control_files import FARMLAND, PARCELS, feature_collection, geodesic_ha, write_geojson
from export_helpers import FIXED_DATE, missing_glyph_warnings, render_with_warnings
from PIL import Image
from shapely.geometry import box

from geo_app.control import check_workspace, kinds, read_reference
from geo_app.export import ExportOptionError, ExportRequest, render
from geo_app.export import compliance_sheet as sheet
from geo_app.export.compliance import loaded_at_text
from geo_app.i18n import load_strings

STRINGS = load_strings()
SVG_NS = "{http://www.w3.org/2000/svg}"
# Points from the left of an A4 landscape sheet: the right column (totals, table) starts
# past this, the map ends before it.
TABLE_X = 420.0


def request(**options) -> ExportRequest:
    return ExportRequest(sheet="compliance", date=FIXED_DATE, **options)


def make(case, **options) -> bytes:
    data, warnings = render_with_warnings(request(**options), ledger=case.ledger,
                                          workspace=case.workspace)
    assert missing_glyph_warnings(warnings) == []
    return data


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Every kind loaded."""
    return build_case(tmp_path_factory.mktemp("full"))


@pytest.fixture(scope="module")
def full_pdf(full) -> bytes:
    return make(full, format="pdf")


def expected_row(parcel) -> str:
    """A parcel's row as the sheet prints it, without spaces."""
    figures = [parcel.hectares, parcel.farmland_ha, parcel.eco_redline_ha,
               parcel.outside_dev_boundary_ha, parcel.cultivated_ha]
    short = "、".join(STRINGS.get(f"export.compliance.short.{c.kind}", "zh")
                     for c in parcel.conflicts)
    return parcel.parcel_id + "".join(figure_text(v) for v in figures) + short


def test_the_table_holds_the_check_figures_to_the_printed_decimals(full, full_pdf):
    result = check_workspace(full.workspace)
    words = pdf_words(full_pdf)
    conflicting = [p for p in result.parcels if p.conflicts]
    assert {p.parcel_id for p in conflicting} == set(PARCELS) - {"touching_edge"}
    for parcel in conflicting:
        assert row_text(words, parcel.parcel_id, TABLE_X) == expected_row(parcel)
    # A parcel clear of every control line is not in the table of conflicts.
    assert not any("touching_edge" in text for _, text in text_lines(words, TABLE_X))


def table_ids(words, ids) -> list[str]:
    """The ids the table lists, top to bottom, page after page (on the first page the table
    is right of the map, further pages hold the table alone)."""
    table = [w for w in words if w.page > 1 or w.x >= TABLE_X]
    return [pid for _, text in text_lines(table) for pid in ids if text.startswith(pid)]


def test_the_rows_are_ordered_by_hectares_in_conflict(full, full_pdf):
    result = check_workspace(full.workspace)
    ranked = sorted(result.in_conflict, key=lambda p: (-p.conflict_hectares, p.parcel_id))
    ids = [p.parcel_id for p in ranked]
    assert table_ids(pdf_words(full_pdf), ids) == ids


def test_the_figures_agree_with_an_independent_geodesic_measure(full):
    """Within 5 m² of pyproj's Geod on the exact intersections (the issue's test)."""
    result = {p.parcel_id: p for p in check_workspace(full.workspace).parcels}
    fields = shapely.union_all(list(FARMLAND.values()))
    for pid, geometry in PARCELS.items():
        expected = geodesic_ha(shapely.intersection(geometry, fields))
        assert abs(result[pid].farmland_ha - expected) < 5e-4


def test_the_totals_are_the_check_summary(full, full_pdf):
    result = check_workspace(full.workspace)
    summary = result.summary()
    text = pdf_raw_text(full_pdf)
    for key, value in (("total_farmland", summary["farmland_ha"]),
                       ("total_eco_redline", summary["eco_redline_ha"]),
                       ("total_dev_boundary", summary["outside_dev_boundary_ha"])):
        line = STRINGS.get(f"export.compliance.{key}", "zh", hectares=figure_text(value))
        assert line.replace(" ", "") in text
    cultivated = sum(p.cultivated_ha for p in result.parcels)
    assert STRINGS.get("export.compliance.total_landuse", "zh",
                       hectares=figure_text(cultivated)).replace(" ", "") in text
    conflicts = STRINGS.get("export.compliance.total_conflicts", "zh",
                            parcels=summary["parcels_in_conflict"],
                            hectares=figure_text(summary["conflict_ha"]))
    assert conflicts.replace(" ", "") in text
    assert summary["parcels_in_conflict"] == 5


def test_every_layer_source_and_date_is_printed(full, full_pdf):
    text = pdf_raw_text(full_pdf)
    layers = full.workspace.reference_layers()
    assert {layer.kind for layer in layers} == set(ALL_KINDS)
    for layer in layers:
        line = STRINGS.get(
            "export.compliance.source", "zh", kind=kinds()[layer.kind].label("zh"),
            name=layer.name, file=layer.source, format=layer.format_name, crs=layer.crs,
            count=f"{layer.feature_count:,}", at=loaded_at_text(layer.loaded_at),
            by=LOADED_BY)
        assert re.sub(r"\s+", "", line) in text
        assert layer.source.endswith(".geojson")
        assert loaded_at_text(layer.loaded_at)[:10] == layer.loaded_at[:10]
    # Every kind was checked: no "not checked" line.
    for kind in ALL_KINDS:
        label = kinds()[kind].label("zh")
        assert STRINGS.get("export.compliance.total_not_checked", "zh", kind=label) not in text
    assert FIXED_DATE.isoformat() in text


def test_kinds_without_a_layer_are_said_not_checked(tmp_path):
    case = build_case(tmp_path, kinds=("farmland",))
    data = make(case, format="pdf")
    text = pdf_raw_text(data)
    for kind in ("eco_redline", "dev_boundary", "landuse"):
        label = kinds()[kind].label("zh")
        assert STRINGS.get("export.compliance.not_checked", "zh", kind=label).replace(
            " ", "") in text
        assert STRINGS.get("export.compliance.total_not_checked", "zh", kind=label) in text
    assert STRINGS.get("export.compliance.not_checked", "zh",
                       kind=kinds()["farmland"].label("zh")) not in text
    # The columns of the kinds not checked hold a dash, never a zero.
    result = check_workspace(case.workspace)
    parcel = next(p for p in result.parcels if p.parcel_id == "half_in_farmland")
    assert parcel.eco_redline_ha is None
    assert row_text(pdf_words(data), "half_in_farmland", TABLE_X) == expected_row(parcel)
    assert "—" in expected_row(parcel)


def test_a_workspace_without_layers_says_nothing_was_checked(tmp_path):
    case = build_case(tmp_path, kinds=())
    text = pdf_raw_text(make(case, format="pdf"))
    assert STRINGS.get("export.compliance.no_layers", "zh").replace(" ", "") in text
    assert STRINGS.get("export.compliance.total_unchecked", "zh") in text
    for kind in ALL_KINDS:
        assert STRINGS.get("export.compliance.total_not_checked", "zh",
                           kind=kinds()[kind].label("zh")) in text


def test_without_a_workspace_the_sample_parcels_are_marked_and_nothing_is_checked():
    data, _ = render_with_warnings(request(format="pdf"))
    text = pdf_raw_text(data)
    assert STRINGS.get("export.page.sample_stamp", "zh") in text
    assert STRINGS.get("export.compliance.sample", "zh").replace(" ", "") in text
    assert STRINGS.get("export.compliance.no_layers", "zh").replace(" ", "") in text


def test_english_on_request(full):
    data = make(full, format="pdf", lang="en")
    text = pdf_raw_text(data)
    for key in ("export.compliance.title_default", "export.compliance.totals_heading",
                "export.compliance.sources_heading"):
        assert STRINGS.get(key, "en").replace(" ", "") in text
    assert "永久基本农田“" not in text
    result = check_workspace(full.workspace)
    parcel = next(p for p in result.parcels if p.parcel_id == "two_parts")
    row = row_text(pdf_words(data), "two_parts", TABLE_X)
    assert row.startswith("two_parts" + figure_text(parcel.hectares))
    # The conflicts cell wraps: its first line is on the row's line.
    assert "farmland,redline,outside" in row


def test_png_and_svg_are_made(full):
    png = make(full, format="png", dpi=100)
    assert Image.open(io.BytesIO(png)).size == request(format="png", dpi=100).pixel_size
    svg = make(full, format="svg", title="审查 <草稿> & 1")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.find(f"{SVG_NS}title").text == "审查 <草稿> & 1"


@pytest.mark.parametrize("paper,orientation", [("A4", "portrait"), ("A3", "landscape")])
def test_other_papers_hold_the_same_table(full, paper, orientation):
    data = make(full, format="pdf", paper=paper, orientation=orientation)
    text = pdf_raw_text(data)
    for parcel in check_workspace(full.workspace).in_conflict:
        assert parcel.parcel_id in text
        assert figure_text(parcel.farmland_ha) in text


HOSTILE_ID = 'x--></text><script>alert(1)</script><!--$\\frac{1}{2}$=1+1'
HOSTILE_NAME = "红线</svg><svg onload=alert(1)>$x^2$"
HOSTILE_USER = "<img src=x onerror=alert(1)>"
# A land-use class as a file may hold it: the legend names it.
HOSTILE_CLASS = "</text><script>alert(3)</script>$\\alpha$"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    parcels = {HOSTILE_ID: PARCELS["half_in_farmland"], "ok": PARCELS["two_parts"]}
    case = build_case(folder, parcels=parcels, names={"eco_redline": HOSTILE_NAME},
                      user=HOSTILE_USER)
    classes = feature_collection({"X1": PARCELS["two_parts"]})
    classes["features"][0]["properties"]["DLMC"] = HOSTILE_CLASS
    path = write_geojson(folder / "hostile-landuse.geojson", classes)
    case.workspace.import_reference(read_reference(path, "landuse", name="地类2"), "王五")
    return case


def test_hostile_text_is_printed_as_text_in_the_pdf(hostile):
    text = pdf_raw_text(make(hostile, format="pdf"))
    # Whole and literal: no "$" read as mathematics, nothing dropped.
    assert HOSTILE_ID.replace(" ", "") in text
    assert HOSTILE_NAME.replace(" ", "") in text
    assert HOSTILE_USER.replace(" ", "") in text
    assert HOSTILE_CLASS.replace(" ", "") in text


def test_hostile_text_cannot_become_svg_markup(hostile):
    svg = make(hostile, format="svg", title=HOSTILE_NAME)
    root = ET.fromstring(svg)  # well-formed: nothing closed the document early
    tags = {element.tag.removeprefix(SVG_NS) for element in root.iter()}
    assert "script" not in tags and "img" not in tags
    assert sum(1 for element in root.iter() if element.tag == f"{SVG_NS}svg") == 1
    for element in root.iter():
        assert not any(name.lower().startswith("on") for name in element.attrib)
    # The texts are drawn as glyph outlines; where matplotlib repeats them (the title, a
    # comment beside each text) they are escaped.
    assert b"<script" not in svg and b"<img" not in svg and b"<svg onload" not in svg
    assert root.find(f"{SVG_NS}title").text == HOSTILE_NAME


def _many_parcels(count: int) -> dict[str, object]:
    """``count`` small parcels, each half in farmland field F1, with distinct areas."""
    parcels = {}
    for n in range(count):
        x = 125.6005 + (n % 20) * 0.00095
        y = 43.6005 + (n // 20) * 0.00095
        parcels[f"P{n:03d}"] = box(x - 0.0002 - n * 1e-7, y, x + 0.0002, y + 0.0004)
    return parcels


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    return build_case(tmp_path_factory.mktemp("many"), kinds=("farmland",),
                      parcels=_many_parcels(120))


def test_a_long_table_continues_on_further_pdf_pages(many):
    data = make(many, format="pdf")
    pages = {w.page for w in pdf_words(data)}
    assert len(pages) > 1
    text = pdf_raw_text(data)
    result = check_workspace(many.workspace)
    assert len(result.in_conflict) == 120
    for parcel in result.in_conflict:
        assert parcel.parcel_id in text
    assert STRINGS.get("export.compliance.continued", "zh") in text
    assert STRINGS.get("export.compliance.page", "zh", page=2, pages=len(pages)).replace(
        " ", "") in text
    assert "另有" not in text


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_one_page_sheet_counts_the_rows_it_cannot_list(many, fmt, monkeypatch):
    """PNG and SVG have one page: the rows that do not fit are counted with their hectares
    (checked here on the PDF drawn with the same one-page rule)."""
    result = check_workspace(many.workspace)
    ranked = sorted(result.in_conflict, key=lambda p: (-p.conflict_hectares, p.parcel_id))
    made = make(many, format=fmt)
    assert made
    one_page = ExportRequest(sheet="compliance", format="pdf", date=FIXED_DATE)
    monkeypatch.setattr(sheet, "MAX_PAGES", 1)
    data = render(one_page, ledger=many.ledger, workspace=many.workspace).data
    words = pdf_words(data)
    assert {w.page for w in words} == {1}
    ids = [p.parcel_id for p in ranked]
    listed = table_ids(words, ids)
    assert 0 < len(listed) < len(ranked)
    assert listed == ids[: len(listed)]
    left = ranked[len(listed):]
    line = STRINGS.get("export.compliance.omitted_pdf", "zh", count=len(left),
                       hectares=figure_text(sum(p.conflict_hectares for p in left)))
    assert re.sub(r"\s+", "", line) in pdf_raw_text(data)


def test_a_pdf_longer_than_its_page_limit_counts_the_rest(many, monkeypatch):
    monkeypatch.setattr(sheet, "MAX_PAGES", 2)
    data = render(request(format="pdf"), ledger=many.ledger, workspace=many.workspace).data
    words = pdf_words(data)
    assert {w.page for w in words} == {1, 2}
    result = check_workspace(many.workspace)
    ranked = sorted(result.in_conflict, key=lambda p: (-p.conflict_hectares, p.parcel_id))
    ids = [p.parcel_id for p in ranked]
    listed = table_ids(words, ids)
    assert listed == ids[: len(listed)] and len(listed) < len(ranked)
    left = ranked[len(listed):]
    line = STRINGS.get("export.compliance.omitted_pdf", "zh", count=len(left),
                       hectares=figure_text(sum(p.conflict_hectares for p in left)))
    assert re.sub(r"\s+", "", line) in pdf_raw_text(data)


@pytest.mark.parametrize("options", [
    {"format": "csv"}, {"format": "html"}, {"layers": ("boundary",)},
    {"extent": "bbox:125.4,43.5,125.7,43.8"}, {"sheet": "atlas"},
])
def test_options_the_sheet_cannot_take_are_refused(options):
    with pytest.raises(ExportOptionError):
        ExportRequest(**{"sheet": "compliance", **options})


def test_file_name_says_compliance():
    assert request(format="pdf").filename() == "shuangyang-compliance-2022-06-30.pdf"
    assert ExportRequest(date=FIXED_DATE).filename() == "shuangyang-2022-06-30.pdf"
