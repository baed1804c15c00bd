"""The parcel drawing tools: served from static/vendor, polygons and rectangles only, in the
page's language."""

from __future__ import annotations

import json
from html import escape

import folium
import pytest

from geo_app.assets import AssetMode, AssetSet, asset_urls
from geo_app.i18n import load_strings
from geo_app.mapview.draw_control import DrawingUnavailable, add_draw_control, drawing_texts


def rendered(lang: str = "zh") -> str:
    folium_map = folium.Map(tiles=None)
    add_draw_control(folium_map, lang)
    return folium_map.get_root().render()


def test_leaflet_draw_comes_from_the_vendored_files_only():
    page = rendered()
    served = asset_urls(AssetMode.SERVED)
    assert served["draw_js"] in page and served["draw_css"] in page
    # folium's own default is a CDN copy of Leaflet.draw: it must not be on the page.
    assert "leaflet.draw" not in page.replace(served["draw_js"], "").replace(
        served["draw_css"], "")


def test_only_polygons_and_rectangles_can_be_drawn():
    page = rendered()
    for shape_name in ("polyline", "circle", "circlemarker", "marker"):
        assert f'"{shape_name}": false' in page
    assert '"allowIntersection": false' in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_toolbar_speaks_the_page_language(lang):
    page = rendered(lang)
    text = escape(load_strings().get("map.draw.rectangle", lang))
    assert json.dumps(text, ensure_ascii=False)[1:-1] in page


def test_toolbar_words_are_escaped_because_leaflet_draw_writes_html():
    texts = drawing_texts("zh")
    assert all("<" not in text for text in texts.values())


def test_without_the_plugin_the_reason_is_given():
    assets = AssetSet(mode=AssetMode.SERVED, entries={}, kinds={},
                      unavailable={"draw_js": "npm package not fetched"})
    with pytest.raises(DrawingUnavailable, match="not fetched"):
        add_draw_control(folium.Map(tiles=None), "zh", assets)


def test_no_script_is_written_inside_python():
    """Every map script lives in a template file under geo_app/mapview/templates."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [root / "streamlit_app.py", *(root / "app_parts").glob("*.py"),
               *(root / "geo_app").rglob("*.py")]
    offenders = [
        str(path.relative_to(root)) for path in sources
        if "{% macro script" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
