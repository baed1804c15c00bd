"""The parcel layer drawn from tiles: the page names the archive, carries no parcel
geometry but the selected one's, and keeps the layer's colours, filters and legend."""

from __future__ import annotations

import json
import re

import pytest
from conftest import LAYERS

from geo_app.mapview import MapOptions, MapOptionsError, ParcelFilter, ParcelTiles, build_map

URL = "/app/static/tiles/parcels-test.pmtiles"
BOUNDS = ((43.5, 125.5), (43.6, 125.65))


def _tiles(**extra) -> ParcelTiles:
    return ParcelTiles(url=URL, bounds=BOUNDS, min_zoom=9, max_zoom=12, count=5000, **extra)


def _page(catalog, tiles=None, **options) -> str:
    return build_map(MapOptions(catalog=catalog, **options), None, tiles).get_root().render()


def _tile_rules(page: str) -> dict:
    found = re.search(r"var rules = (\{.*?\});\n\s*if \(typeof protomapsL", page)
    assert found, "no tile layer in the page"
    return json.loads(found.group(1))


def test_tiles_replace_the_embedded_parcels(tiny_catalog):
    embedded = _page(tiny_catalog)
    tiled = _page(tiny_catalog, _tiles())
    assert '"p-1"' in embedded
    for parcel_id in ("p-1", "p-2", "p-3"):
        assert f'"{parcel_id}"' not in tiled
    assert URL in tiled
    assert '<script src="/app/static/vendor/protomaps-leaflet-5.1.0/dist/protomaps-leaflet.js"' \
        in tiled
    # Every other layer is still embedded, and the legend still lists the parcels' colours.
    assert '"boundary-test"' in tiled
    assert "地块（示例数据）：计划供地" in tiled
    # The legend says how the parcels are drawn, and that a click tells more.
    assert "共 5,000 块地块，以矢量瓦片绘制，缩放至 9 级及以上显示" in tiled
    assert "矢量瓦片" not in embedded


def test_tile_rules_keep_the_layers_look_and_the_filter(tiny_catalog):
    rules = _tile_rules(_page(
        tiny_catalog, _tiles(), parcel_filter=ParcelFilter.of(statuses=["supplied", "planned"])
    ))
    spec = tiny_catalog.layer("land_parcels")
    assert rules["colorBy"] == spec.style.color_by == "status"
    assert rules["palette"] == dict(spec.style.palette)
    assert rules["filter"] == {"status": ["planned", "supplied"], "town": None, "quarter": None}
    assert rules["url"] == URL and rules["layer"] == "parcels"
    assert rules["minZoom"] == 9 and rules["maxDataZoom"] == 12
    # The hover text names the status as the legend does.
    assert rules["labels"]["supplied"] == "已供地"
    # Dash patterns as numbers, as the canvas takes them.
    assert all(isinstance(v, float) for a in rules["accuracy"].values()
               for v in a["dashArray"] or [])


def test_the_map_fits_the_archives_bounds(tiny_catalog):
    only_parcels = build_map(
        MapOptions(catalog=tiny_catalog, visible_layers=("land_parcels",)), None, _tiles()
    )
    assert only_parcels.location == [43.55, 125.575]


def test_the_selected_parcel_is_highlighted_from_the_feature_given(tiny_catalog):
    feature = dict(LAYERS["land_parcels.geojson"][1])
    page = _page(tiny_catalog, _tiles(highlight=feature), highlight_id="p-2")
    assert page.count('"p-2"') == 1
    assert '"p-1"' not in page
    # A parcel not handed over cannot be found among tiles: the page says it is hidden.
    with pytest.raises(MapOptionsError):
        _page(tiny_catalog, _tiles(), highlight_id="p-2")
    # Other layers' features are still found as before.
    assert '"boundary-test"' in _page(tiny_catalog, _tiles(), highlight_id="boundary-test")
