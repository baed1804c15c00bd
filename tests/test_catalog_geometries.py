"""Layer geometries made in one call agree with GeoJSON read one shape at a time, and
whatever is unusual falls back to that."""

import numpy as np
import pytest
import shapely
from shapely.geometry import mapping, shape

from geo_app.catalog import _geometries

SQUARE = shapely.box(125.5, 43.5, 125.6, 43.6)
HOLED = shapely.Polygon(SQUARE.exterior.coords, [shapely.box(125.52, 43.52, 125.53, 43.53)
                                                 .exterior.coords])
MULTI = shapely.MultiPolygon([HOLED, shapely.box(125.7, 43.7, 125.8, 43.8)])


def as_json(geometry):
    """GeoJSON as a file holds it: lists, not tuples."""
    import json

    return json.loads(json.dumps(mapping(geometry)))


@pytest.mark.parametrize("geometries", [
    [SQUARE, HOLED],
    [MULTI, shapely.MultiPolygon([SQUARE])],
    [SQUARE, MULTI, HOLED, shapely.Point(125.5, 43.5), shapely.LineString([(0, 0), (1, 1)])],
])
def test_the_same_shapes_as_one_at_a_time(geometries):
    raw = [as_json(g) for g in geometries]
    made = _geometries(raw)
    expected = np.array([shape(r) for r in raw], dtype=object)
    assert [g.geom_type for g in made] == [g.geom_type for g in expected]
    assert shapely.equals_exact(made, expected, tolerance=0).all()


def test_unusual_coordinates_go_the_old_way():
    unclosed = {"type": "Polygon", "coordinates": [[[125.5, 43.5], [125.6, 43.5],
                                                    [125.6, 43.6], [125.5, 43.6]]]}
    with_z = {"type": "Polygon", "coordinates": [[[125.5, 43.5, 1], [125.6, 43.5, 1],
                                                  [125.6, 43.6, 1], [125.5, 43.5, 1]]]}
    made = _geometries([unclosed, with_z, as_json(SQUARE)])
    assert shapely.equals(made[0], shape(unclosed))
    assert made[1].has_z
    assert shapely.equals_exact(made[2], SQUARE, tolerance=0)


@pytest.mark.parametrize("broken", [
    {"type": "Polygon", "coordinates": [[["125.5", "43.5"], ["125.6", "43.5"],
                                         ["125.6", "43.6"], ["125.5", "43.5"]]]},
    {"type": "Polygon", "coordinates": "nonsense"},
    {"type": "MultiPolygon", "coordinates": [[[[1, 2], [3]]]]},
    None,
])
def test_unreadable_geometries_are_none_or_what_shape_makes(broken):
    made = _geometries([broken, as_json(SQUARE)])
    try:
        expected = shape(broken)
    except Exception:
        expected = None
    assert (made[0] is None) == (expected is None)
    if expected is not None:
        assert shapely.equals_exact(made[0], expected, tolerance=0)
    assert shapely.equals_exact(made[1], SQUARE, tolerance=0)


def test_an_empty_polygon_stays_empty():
    made = _geometries([{"type": "Polygon", "coordinates": []}, as_json(SQUARE)])
    assert made[0].is_empty and not made[1].is_empty


def test_a_layer_read_when_checked_and_read_again_gives_the_same_frame(tmp_path):
    import dataclasses
    import json

    from geo_app.catalog import forget_checked_layers, load_catalog, load_layer_frame

    spec = load_catalog().layer("land_parcels")
    copy = tmp_path / "parcels.geojson"
    copy.write_text(spec.path.read_text(encoding="utf-8"), encoding="utf-8")
    spec = dataclasses.replace(spec, path=copy)
    forget_checked_layers()
    checked = load_layer_frame(spec)
    again = load_layer_frame(spec)
    assert checked.drop(columns="geometry").equals(again.drop(columns="geometry"))
    assert shapely.equals_exact(checked.geometry.values, again.geometry.values,
                                tolerance=0).all()
    # A file changed since is checked again: a broken feature is found.
    collection = json.loads(copy.read_text(encoding="utf-8"))
    collection["features"][0]["geometry"] = {"type": "Point", "coordinates": [125.5, 43.5]}
    copy.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(Exception, match="does not fit"):
        load_layer_frame(spec)
