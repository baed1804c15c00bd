"""Storage is WGS84; GCJ-02 tiles get GCJ-02 coordinates, and what comes back is WGS84 again."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, mapping, shape

from geo_app.basemaps import load_basemaps
from geo_app.basemaps.display_datum import display_datum, from_display_datum, to_display_datum
from geo_app.catalog import load_layer_geojson
from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.geodesy import hectares

GEOD = Geod(ellps="GRS80")
GAODE = load_basemaps().get("gaode_vec")
OSM = load_basemaps().get("osm")
TIANDITU = load_basemaps().get("tianditu_img")


def metres_apart(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float).reshape(-1, 2), np.asarray(b, dtype=float).reshape(-1, 2)
    _, _, distance = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(distance)


def test_datum_of_each_kind_of_basemap():
    assert display_datum(GAODE) == "gcj02"
    assert display_datum(OSM) == display_datum(TIANDITU) == "wgs84"
    assert display_datum("gcj02") == "gcj02"
    with pytest.raises(ValueError, match="datum must be one of"):
        display_datum("bd09")


@pytest.mark.parametrize("basemap", [OSM, TIANDITU, load_basemaps().get("offline")])
def test_wgs84_tiles_change_nothing(basemap):
    square = Polygon([(125.6, 43.5), (125.61, 43.5), (125.61, 43.51), (125.6, 43.5)])
    assert to_display_datum(square, basemap) is square
    assert from_display_datum((125.66, 43.52), basemap) == (125.66, 43.52)


def test_a_point_moves_by_the_gcj02_offset_and_back():
    shown = to_display_datum((125.66, 43.52), GAODE)
    expected = tuple(float(v) for v in wgs84_to_gcj02(125.66, 43.52))
    assert shown == pytest.approx(expected, abs=1e-12)
    # About 560 m at Shuangyang: the error a careless overlay would make.
    assert 500 < metres_apart((125.66, 43.52), shown)[0] < 620
    back = from_display_datum(shown, GAODE)
    assert metres_apart((125.66, 43.52), back)[0] < 1e-4


def test_arrays_keep_extra_columns():
    xyz = np.array([[125.5, 43.4, 210.0], [125.7, 43.6, 260.0]])
    shown = to_display_datum(xyz, "gcj02")
    assert shown.shape == (2, 3) and list(shown[:, 2]) == [210.0, 260.0]
    assert np.allclose(from_display_datum(shown, "gcj02"), xyz, atol=1e-9)
    assert np.allclose(to_display_datum(xyz[0], "gcj02"), shown[0])


def test_geojson_features_and_collections_are_converted_without_touching_properties():
    parcels = load_layer_geojson("land_parcels")
    shown = to_display_datum(parcels, GAODE)
    assert shown is not parcels and len(shown["features"]) == len(parcels["features"])
    for before, after in zip(parcels["features"], shown["features"], strict=True):
        assert after["properties"] == before["properties"]
        original = shapely.get_coordinates(shape(before["geometry"]))
        moved = shapely.get_coordinates(shape(after["geometry"]))
        expected = np.column_stack(wgs84_to_gcj02(original[:, 0], original[:, 1]))
        assert np.max(metres_apart(expected, moved)) < 1e-6
    # The input is left as it was.
    assert parcels == load_layer_geojson("land_parcels")


def test_a_shape_drawn_on_gaode_tiles_is_stored_in_wgs84():
    """What a planner draws on GCJ-02 tiles, as the browser reports it (6 decimals)."""
    parcel = load_layer_geojson("land_parcels")["features"][0]
    truth = shape(parcel["geometry"])
    on_tiles = shapely.transform(to_display_datum(truth, GAODE), lambda xy: np.round(xy, 6))
    drawn = {"type": "Feature", "properties": {"name_zh": "新绘地块"},
             "geometry": mapping(on_tiles)}
    stored = from_display_datum(drawn, GAODE)
    stored_shape = shape(stored["geometry"])
    assert stored["properties"] == {"name_zh": "新绘地块"}
    assert np.max(metres_apart(shapely.get_coordinates(truth),
                               shapely.get_coordinates(stored_shape))) < 0.5
    # Saved without the conversion it would sit hundreds of metres away.
    assert np.min(metres_apart(shapely.get_coordinates(truth),
                               shapely.get_coordinates(on_tiles))) > 400


def test_geometry_collections_and_bboxes():
    collection = {
        "type": "GeometryCollection",
        "bbox": [125.0, 43.0, 126.0, 44.0],
        "geometries": [{"type": "Point", "coordinates": [125.66, 43.52]},
                       {"type": "LineString", "coordinates": [[125.6, 43.5], [125.7, 43.6]]}],
    }
    shown = to_display_datum(collection, "gcj02")
    assert "bbox" not in shown
    assert shown["geometries"][0]["coordinates"] == pytest.approx(
        list(to_display_datum((125.66, 43.52), "gcj02")))
    with pytest.raises(TypeError, match="cannot convert"):
        to_display_datum("125.66, 43.52", "gcj02")


def test_gcj02_is_not_area_preserving_so_measuring_must_use_wgs84():
    """GCJ-02's formula stretches the plane: areas measured on it are off by up to ~0.5 %.

    This is why the map's measuring tool converts points back to WGS84 before measuring.
    """
    features = load_layer_geojson("land_parcels")["features"]
    truth = np.array([shape(f["geometry"]) for f in features], dtype=object)
    on_tiles = np.array([to_display_datum(g, "gcj02") for g in truth], dtype=object)
    stretch = np.abs(hectares(on_tiles) / hectares(truth) - 1.0)
    assert stretch.max() > 1e-3
    assert stretch.max() < 1e-2
    round_trip = np.array([from_display_datum(g, "gcj02") for g in on_tiles], dtype=object)
    assert np.max(np.abs(hectares(round_trip) / hectares(truth) - 1.0)) < 1e-9
