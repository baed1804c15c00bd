"""The map puts every drawn thing where the chosen basemap's tiles are.

On GCJ-02 tiles (高德) the coordinates the page receives are the GCJ-02 transform of the
stored WGS84; on WGS84-aligned tiles (OpenStreetMap, 天地图 "_w", offline) they are the
stored coordinates.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from geo_app.catalog import load_catalog, load_layer_geojson
from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.mapview import MapOptions, build_map, layer_display_data, render_html

GEOD = Geod(ellps="GRS80")
SETTINGS = {"TIANDITU_TK": "0123456789abcdef0123456789abcdef"}
BASEMAP_DATUMS = [
    ("gaode_vec", "gcj02"),
    ("gaode_img", "gcj02"),
    ("osm", "wgs84"),
    ("tianditu_vec", "wgs84"),
    ("tianditu_img", "wgs84"),
    ("offline", "wgs84"),
]


def metres_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, _, distance = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(distance)


def expected_on_tiles(lonlat: np.ndarray, datum: str) -> np.ndarray:
    if datum == "wgs84":
        return lonlat
    return np.column_stack(wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1]))


@pytest.mark.parametrize(("basemap_id", "datum"), BASEMAP_DATUMS)
def test_every_layer_is_drawn_where_the_tiles_are(basemap_id, datum):
    # No simplification, so every stored vertex has its drawn counterpart.
    options = MapOptions(basemap=basemap_id, simplify_deg=0.0, settings=SETTINGS)
    worst_shift = 0.0
    for spec in load_catalog().layers:
        stored = load_layer_geojson(spec)["features"]
        drawn = layer_display_data(options, spec.id)["features"]
        assert [f["properties"]["id"] for f in drawn] == [
            f["properties"]["id"] for f in stored
        ]
        for before, after in zip(stored, drawn, strict=True):
            original = shapely.get_coordinates(shape(before["geometry"]))
            on_page = shapely.get_coordinates(shape(after["geometry"]))
            assert np.max(metres_apart(expected_on_tiles(original, datum), on_page)) < 0.5
            worst_shift = max(worst_shift, float(np.max(metres_apart(original, on_page))))
    if datum == "gcj02":
        assert worst_shift > 400
    else:
        assert worst_shift < 0.5


def _marker_position(page: str) -> tuple[float, float]:
    match = re.search(
        r'"_tooltip":"定位点[^"]*"\},"geometry":\{"type":"Point","coordinates":\[([^\]]+)\]',
        page,
    )
    assert match, "no marker in the page"
    lon, lat = json.loads(f"[{match[1]}]")
    return lon, lat


@pytest.mark.parametrize(("basemap_id", "datum"), BASEMAP_DATUMS)
def test_typed_point_and_view_follow_the_tiles(basemap_id, datum):
    point = np.array([[125.66, 43.52]])
    expected = expected_on_tiles(point, datum)
    options = MapOptions(basemap=basemap_id, settings=SETTINGS, marker_lonlat=(125.66, 43.52))
    m = build_map(options)
    page = m.get_root().render()
    marker = np.array([_marker_position(page)])
    assert metres_apart(expected, marker)[0] < 0.5
    lat, lon = m.location
    assert metres_apart(expected, np.array([[lon, lat]]))[0] < 0.5
    assert m.options["zoom"] == 15
    centred = build_map(MapOptions(basemap=basemap_id, settings=SETTINGS,
                                   center=(43.52, 125.66), zoom=12))
    lat, lon = centred.location
    assert metres_apart(expected, np.array([[lon, lat]]))[0] < 0.5


def test_a_selected_feature_wins_over_the_typed_point_for_the_view():
    feature = load_layer_geojson("villages")["features"][0]["properties"]["id"]
    m = build_map(MapOptions(basemap="gaode_vec", highlight_id=feature,
                             marker_lonlat=(125.0, 43.0)))
    assert "fitBounds" in m.get_root().render()


def test_offline_backdrop_under_gcj02_tiles_is_shifted_too():
    boundary = load_layer_geojson("boundary")["features"][0]["geometry"]
    first = shapely.get_coordinates(shape(boundary))[:1]
    shifted = np.round(expected_on_tiles(first, "gcj02"), 6)[0]
    page = render_html(MapOptions(basemap="gaode_vec", visible_layers=("villages",)))
    # The backdrop is there, for when the tiles fail, in its own pane below the layers.
    assert '"pane":"gmBackdrop"' in page
    assert json.dumps([float(v) for v in shifted], separators=(",", ":")) in page
    assert json.dumps([float(v) for v in first[0]], separators=(",", ":")) not in page


def test_gcj02_pages_read_clicks_and_measure_in_wgs84():
    gcj = render_html(MapOptions(basemap="gaode_vec"))
    osm = render_html(MapOptions(basemap="osm"))
    for page in (gcj, osm):
        assert "toWgs84" in page and "WGS84 东经/北纬" in page
    assert '= "gcj02"' in gcj or '"gcj02"' in gcj
    assert "_handleMeasureDoubleClick" in gcj
    assert "_handleMeasureDoubleClick" not in osm
    # The legend says the layers were moved to match the tiles.
    assert "图层已偏移对齐" in gcj and "图层已偏移对齐" not in osm


def test_online_basemaps_fall_back_visibly_and_offline_needs_no_fallback():
    online = render_html(MapOptions(basemap="osm"))
    assert '"tileerror"' in online and "在线底图无法访问，已显示离线底图要素" in online
    english = render_html(MapOptions(basemap="osm", lang="en"))
    assert "Online tiles unreachable; offline base features shown" in english
    offline = render_html(MapOptions(basemap="offline"))
    assert "tileerror" not in offline and "gmBackdrop" not in offline
