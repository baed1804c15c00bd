import html
import json
import re

import pytest

# At module level: when a test runs, ``conftest`` may name another folder's conftest.
from conftest import HOSTILE, LAYERS

from geo_app.mapview import (
    MapOptions,
    MapOptionsError,
    ParcelFilter,
    build_map,
    layer_display_data,
    render_html,
    standalone_html,
)

EXTERNAL_ASSET = re.compile(
    r"""<script[^>]+src=["']?https?://|<link[^>]+href=["']?https?://""", re.IGNORECASE
)


def _render(**kwargs):
    return render_html(MapOptions(**kwargs))


def _switcher_labels(page):
    """The layer switcher's overlay labels, as the browser reads them (HTML)."""
    block = re.search(r"L\.control\.layers\(\s*\{.*?\},\s*\{(.*?)\},\s*\{", page, re.S)
    assert block, "no layer switcher in the page"
    return [json.loads(label)
            for label in re.findall(r'^\s*("(?:[^"\\]|\\.)*"):', block.group(1), re.M)]


@pytest.fixture(scope="module")
def default_html():
    return render_html(MapOptions())


def test_default_map_loads_nothing_from_outside(default_html):
    assert not EXTERNAL_ASSET.search(default_html)
    assert '<script src="/app/static/vendor/leaflet-1.9.3/leaflet.js"' in default_html
    assert 'href="/app/static/vendor/leaflet-1.9.3/leaflet.css"' in default_html
    for unwanted in ("bootstrap", "awesome-markers", "awesome_markers", "fontawesome",
                     "font-awesome", "cdn.jsdelivr", "jquery"):
        assert unwanted not in default_html.lower(), unwanted


def test_default_view_fits_the_size_budget(default_html):
    assert len(default_html.encode("utf-8")) <= 300_000


def test_default_map_has_controls_and_chinese_legend(default_html):
    assert "leaflet-measure-3.1.0/leaflet-measure.cn.js" in default_html
    assert "Control.FullScreen.js" in default_html
    assert '"primaryAreaUnit": "hectares"' in default_html
    assert '"primaryLengthUnit": "kilometers"' in default_html
    assert "L.control.scale({imperial: false" in default_html
    assert "L.control.layers" in default_html
    assert "图例" in default_html and "位置精度" in default_html


def test_online_basemap_draws_its_tiles_only_when_chosen(default_html):
    assert "tile.openstreetmap.org" not in default_html
    page = _render(basemap="osm")
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert not EXTERNAL_ASSET.search(page)


def test_unknown_basemap_or_layer_is_a_clear_error(tiny_catalog):
    with pytest.raises(MapOptionsError, match="unknown basemap 'nope'"):
        build_map(MapOptions(catalog=tiny_catalog, basemap="nope"))
    with pytest.raises(MapOptionsError, match="no layer 'nope'"):
        build_map(MapOptions(catalog=tiny_catalog, visible_layers=("nope",)))


def test_visible_layers_are_drawn_and_hidden_ones_left_out(tiny_catalog):
    page = _render(catalog=tiny_catalog)
    assert "village-hostile" in page and "p-1" in page and "boundary-test" in page
    assert "hidden-one" not in page and "隐藏要素甲" not in page
    page = _render(catalog=tiny_catalog, visible_layers=("hidden_notes",))
    assert "hidden-one" in page and "village-hostile" not in page


def test_layer_control_names_layers_with_their_group(tiny_catalog):
    page = _render(catalog=tiny_catalog)
    assert "乡村振兴 · 示范村" in _switcher_labels(page)
    page = _render(catalog=tiny_catalog, lang="en")
    assert "Villages · Demonstration villages" in _switcher_labels(page)


def test_hostile_names_reach_the_page_only_as_escaped_text(tiny_catalog):
    for lang in ("zh", "en"):
        page = _render(catalog=tiny_catalog, lang=lang)
        assert HOSTILE not in page
        assert "<img" not in page
        # The popup text is the escaped name, and the page carries it with < as \u003c.
        assert html.escape(HOSTILE).replace("&", "\\u0026") in page


def test_hostile_name_in_the_browser_data_is_escaped_html(tiny_catalog):
    data = layer_display_data(MapOptions(catalog=tiny_catalog), "villages")
    props = next(
        f["properties"] for f in data["features"] if f["properties"]["id"] == "village-hostile"
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in props["_popup"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in props["_tooltip"]
    assert "<img" not in props["_popup"] and "<img" not in props["_tooltip"]
    assert set(props) == {"id", "accuracy", "_tooltip", "_popup"}


def test_template_code_in_a_feature_name_is_not_run(tiny_catalog):
    page = _render(catalog=tiny_catalog)
    assert "\\u003ch4\\u003e\\u007b{ 7 * 7 }}\\u003c/h4\\u003e" in page
    assert "\\u003ch4\\u003e49\\u003c/h4\\u003e" not in page


def test_template_code_in_a_layer_name_is_not_run(tiny_catalog):
    catalog_path = tiny_catalog.path
    text = catalog_path.read_text(encoding="utf-8")
    catalog_path.write_text(text.replace('"示范村"', '"示范村{{ 7 * 7 }}"'), encoding="utf-8")
    from geo_app.catalog import load_catalog

    page = _render(catalog=load_catalog(catalog_path))
    assert "乡村振兴 · 示范村&#123;&#123; 7 * 7 }}" in _switcher_labels(page)
    assert "示范村49" not in page


def test_popup_lists_plan_item_accuracy_source_and_parcel_facts(tiny_catalog):
    data = layer_display_data(MapOptions(catalog=tiny_catalog), "land_parcels")
    popup = data["features"][0]["properties"]["_popup"]
    for text in ("地块 p-1", "规划事项", "目标", "不少于 200 公顷", "规划章节", "示意", "测试数据",
                 "公顷", "计划供地", "工业", "奢岭街道", "2022Q1", "示例数据"):
        assert text in popup, text
    english = layer_display_data(MapOptions(catalog=tiny_catalog, lang="en"), "land_parcels")
    popup = english["features"][0]["properties"]["_popup"]
    for text in ("Parcel p-1", "Plan item", "at least 200 ha", "Schematic", "Planned",
                 "Industrial", "Sample data", "Area (ellipsoidal)"):
        assert text in popup, text


def test_parcel_hectares_are_ellipsoidal_from_the_original_geometry(tiny_catalog):
    from shapely.geometry import shape

    from geo_app.catalog import load_layer_geojson
    from geo_app.geodesy import hectares

    original = load_layer_geojson(tiny_catalog.layer("land_parcels"))["features"][0]
    expected = float(hectares([shape(original["geometry"])])[0])
    data = layer_display_data(MapOptions(catalog=tiny_catalog), "land_parcels")
    assert f"{expected:,.2f} 公顷" in data["features"][0]["properties"]["_popup"]


def test_coordinates_are_rounded_to_six_decimals(tiny_catalog):
    data = layer_display_data(MapOptions(catalog=tiny_catalog), "villages")
    point = next(f for f in data["features"] if f["properties"]["id"] == "village-hostile")
    assert list(point["geometry"]["coordinates"]) == [125.612346, 43.512346]


def test_parcel_filter_and_prepared_parcels(tiny_catalog):
    options = MapOptions(catalog=tiny_catalog, parcel_filter=ParcelFilter.of(statuses=["supplied"]))
    ids = [f["properties"]["id"] for f in layer_display_data(options, "land_parcels")["features"]]
    assert ids == ["p-2", "p-3"]
    options = MapOptions(
        catalog=tiny_catalog,
        parcel_filter=ParcelFilter.of(statuses=["supplied"], towns=["奢岭街道"]),
    )
    ids = [f["properties"]["id"] for f in layer_display_data(options, "land_parcels")["features"]]
    assert ids == ["p-3"]
    page = render_html(options)
    assert "p-3" in page and "p-1" not in page and "p-2" not in page
    prepared = {"type": "FeatureCollection", "features": LAYERS["land_parcels.geojson"][:1]}
    page = render_html(MapOptions(catalog=tiny_catalog, parcels=prepared))
    assert "p-1" in page and "p-2" not in page


def test_legend_in_both_languages(tiny_catalog):
    page = _render(catalog=tiny_catalog)
    for text in ("图例", "示范村", "地块（示例数据）：计划供地", "虚线、浅色", "地块为示例数据"):
        assert text in page, text
    page = _render(catalog=tiny_catalog, lang="en")
    for text in ("Legend", "Demonstration villages", "Parcels (sample data): Supplied",
                 "Dashed, lighter",
                 "sample data"):
        assert text in page, text
    assert "leaflet-measure.en.js" in page


def test_offline_basemap_draws_hidden_base_layers_faintly(tiny_catalog, monkeypatch):
    page = _render(catalog=tiny_catalog, visible_layers=("villages",))
    # boundary is a backdrop layer of the offline basemap: drawn, but without popups.
    assert "#9a9a92" in page and "boundary-test" not in page
    assert "离线底图" in page


def test_highlight_draws_the_feature_again_and_fits_to_it(tiny_catalog):
    m = build_map(MapOptions(catalog=tiny_catalog, highlight_id="p-2"))
    page = m.get_root().render()
    assert "选中要素" in _switcher_labels(page) and "#ffd400" in page
    assert re.search(r"fitBounds\(\s*\[\[43\.5, 125\.55\], \[43\.51, 125\.56\]\]", page)
    with pytest.raises(MapOptionsError, match="no feature with id 'nope'"):
        build_map(MapOptions(catalog=tiny_catalog, highlight_id="nope"))


def test_explicit_center_and_zoom_are_kept(tiny_catalog):
    m = build_map(MapOptions(catalog=tiny_catalog, center=(43.6, 125.7), zoom=13))
    assert m.location == [43.6, 125.7] and m.options["zoom"] == 13
    assert "fitBounds" not in m.get_root().render()


def test_gcj02_basemap_shifts_the_layers(tiny_catalog, tmp_path):
    from geo_app import basemaps
    from geo_app.gcj02 import wgs84_to_gcj02

    registry = tmp_path / "basemaps.toml"
    registry.write_text(
        basemaps.BASEMAPS_PATH.read_text(encoding="utf-8")
        + '\n[[basemaps]]\nid = "gcj"\nname_zh = "甲"\nname_en = "G"\nkind = "xyz"\n'
        'url = "https://example.test/{z}/{x}/{y}.png"\ncrs_datum = "gcj02"\n'
        'attribution_zh = "甲"\nattribution_en = "G"\n',
        encoding="utf-8",
    )
    options = MapOptions(
        catalog=tiny_catalog, basemap="gcj", basemaps=basemaps.load_basemaps(registry)
    )
    data = layer_display_data(options, "villages")
    lon, lat = next(f for f in data["features"]
                    if f["properties"]["id"] == "village-hostile")["geometry"]["coordinates"]
    expected = wgs84_to_gcj02(125.61234567, 43.51234567)
    assert lon == pytest.approx(float(expected[0]), abs=1e-6)
    assert lat == pytest.approx(float(expected[1]), abs=1e-6)
    assert "GCJ-02" in render_html(options)


def test_standalone_page_inlines_every_asset(tiny_catalog):
    page = standalone_html(MapOptions(catalog=tiny_catalog))
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert "/app/static" not in page
    assert "L.Control.Measure" in page or "leaflet-measure" in page
    assert "data:image/png;base64," in page  # Leaflet's layer-control icon
    assert "village-hostile" in page and HOSTILE not in page


def test_unknown_language_is_refused(tiny_catalog):
    with pytest.raises(ValueError, match="language must be one of"):
        build_map(MapOptions(catalog=tiny_catalog, lang="fr"))


def test_shipped_default_view_draws_exactly_the_default_visible_layers(default_html):
    from geo_app.catalog import load_catalog, load_layer_geojson

    for spec in load_catalog().layers:
        ids = [f["properties"]["id"] for f in load_layer_geojson(spec)["features"]]
        marker = f'"id":"{ids[0]}"'
        if spec.default_visible:
            assert marker in default_html, spec.id
        else:
            assert marker not in default_html, spec.id


def test_shipped_map_in_english_has_an_english_legend():
    page = render_html(MapOptions(lang="en"))
    assert "Legend" in page and "Position accuracy" in page and "图例" not in page


def test_folium_class_defaults_are_left_alone(tiny_catalog):
    import folium
    from folium.plugins import MeasureControl

    before = (list(folium.Map.default_js), list(MeasureControl.default_js))
    build_map(MapOptions(catalog=tiny_catalog))
    standalone_html(MapOptions(catalog=tiny_catalog))
    assert (list(folium.Map.default_js), list(MeasureControl.default_js)) == before
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_without_fetched_plugins_the_map_still_draws(tiny_catalog, tmp_path, monkeypatch):
    import warnings

    from geo_app.assets import AssetsWarning, asset_urls

    def assets_without_npm(mode):
        return asset_urls(mode, static_dir=tmp_path / "static", cache_dir=tmp_path / "none")

    monkeypatch.setattr("geo_app.mapview.builder.asset_urls", assets_without_npm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssetsWarning)
        page = render_html(MapOptions(catalog=tiny_catalog))
    assert "/app/static/vendor/leaflet-1.9.3/leaflet.js" in page
    assert "village-hostile" in page
    assert "L.Control.Measure" not in page and "leaflet-measure" not in page
    assert "L.control.fullscreen" not in page
