"""Export options: parsing and checking, before anything is drawn."""

from __future__ import annotations

import pytest

from geo_app.export import (
    ExportOptionError,
    ExportRequest,
    Extent,
    format_for_path,
    parse_extent,
    parse_layers,
)
from geo_app.export.mapdraw import dash_pattern
from geo_app.export.request import FORMATS
from geo_app.export.wrap import em_width, wrap
from geo_app.i18n import load_strings


def test_extent_forms():
    assert parse_extent(None) == Extent()
    assert parse_extent("district") == Extent()
    assert parse_extent("feature:road-1") == Extent("feature", feature_id="road-1")
    assert parse_extent("bbox:125.4, 43.2,126.1,43.9") == Extent(
        "bbox", bbox=(125.4, 43.2, 126.1, 43.9)
    )
    assert str(parse_extent("bbox:125.4,43.2,126.1,43.9")) == "bbox:125.4,43.2,126.1,43.9"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("county", "export.error.extent"),
        ("feature:", "export.error.extent"),
        ("bbox:1,2,3", "export.error.bbox"),
        ("bbox:a,b,c,d", "export.error.bbox"),
        ("bbox:126,43,125,44", "export.error.bbox"),
        ("bbox:125,44,126,43", "export.error.bbox"),
        ("bbox:0,0,200,10", "export.error.bbox"),
        ("bbox:nan,1,2,3", "export.error.bbox"),
    ],
)
def test_bad_extents(text, key):
    with pytest.raises(ExportOptionError) as caught:
        parse_extent(text)
    assert caught.value.key == key


def test_layers_and_formats():
    assert parse_layers(None) is None
    assert parse_layers(" roads, towns ,") == ("roads", "towns")
    assert parse_layers(",") is None
    assert format_for_path("a/b/Map.PDF") == "pdf"
    assert format_for_path("x.json") == "geojson"
    with pytest.raises(ExportOptionError):
        format_for_path("notes.txt")


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"format": "tiff"}, "export.error.format"),
        ({"paper": "A5"}, "export.error.paper"),
        ({"orientation": "up"}, "export.error.orientation"),
        ({"lang": "fr"}, "export.error.lang"),
        ({"dpi": 10}, "export.error.dpi"),
        ({"dpi": 150.0}, "export.error.dpi"),
        ({"layers": ()}, "export.error.no_layers"),
    ],
)
def test_request_checks_its_fields(options, key):
    with pytest.raises(ExportOptionError) as caught:
        ExportRequest(**options)
    assert caught.value.key == key


def test_every_error_key_has_text_in_both_languages():
    strings = load_strings()
    for key in ("format", "suffix", "paper", "orientation", "lang", "dpi", "dpi_number",
                "extent", "bbox", "no_layers", "unknown_layer", "unknown_feature",
                "no_cjk_font", "write", "no_out"):
        assert f"export.error.{key}" in strings


def test_request_normalises_text_extent_and_layer_lists():
    request = ExportRequest(extent="feature:x", layers=["roads"])
    assert request.extent == Extent("feature", feature_id="x")
    assert request.layers == ("roads",)


def test_paper_sizes_and_file_names():
    a4 = ExportRequest()
    assert a4.paper_inches == pytest.approx((297 / 25.4, 210 / 25.4))
    assert ExportRequest(paper="A3", orientation="portrait", dpi=300).pixel_size == (3508, 4961)
    assert a4.filename().endswith(".pdf")
    for fmt, (suffix, mime) in FORMATS.items():
        request = ExportRequest(format=fmt)
        assert request.filename().endswith(suffix) and request.mime == mime


def test_dash_patterns_follow_css_pixels():
    assert dash_pattern(None, 1.0) == "solid"
    # 6 px dash, 4 px gap at 0.75 pt per px, divided by the line width matplotlib scales by.
    assert dash_pattern("6 4", 1.5) == (0, (3.0, 2.0))
    assert dash_pattern("5", 0.75) == (0, (5.0, 5.0))
    assert dash_pattern("x y", 1.0) == "dashed"


def test_wrap_breaks_chinese_anywhere_and_keeps_latin_words_whole():
    text = "坐标系：CGCS2000 3度带高斯-克吕格投影（EPSG:4551），比例尺在该平面上量算。"
    lines = wrap(text, 12)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(em_width(line) <= 12 or " " not in line for line in lines)
    assert any("EPSG:4551" in line for line in lines)
    # Closing punctuation never starts a line.
    assert not any(line.startswith(("，", "。", "）")) for line in lines)
    assert wrap("one two three", 100) == ["one two three"]


def test_every_format_has_a_label_for_the_app():
    strings = load_strings()
    for fmt in FORMATS:
        assert f"export.format.{fmt}" in strings
