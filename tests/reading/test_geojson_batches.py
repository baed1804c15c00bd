"""GeoJSON polygons built many at a time are the polygons built one by one, and a file's
faults are still said feature by feature, in the file's order."""

import json

import pytest
import shapely

from geo_app.problems import InputError
from geo_app.reading import ReadLimits, read_vector
from geo_app.reading.base import VertexBudget
from geo_app.reading.geojson_geometry import build_geometry

SQUARE = [[125.70, 43.50], [125.71, 43.50], [125.71, 43.51], [125.70, 43.51], [125.70, 43.50]]
HOLE = [[125.702, 43.502], [125.704, 43.502], [125.704, 43.504], [125.702, 43.502]]


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def multipolygon(*polygons):
    return {"type": "MultiPolygon", "coordinates": list(polygons)}


FEATURES = [
    feature(polygon(SQUARE), id="plain"),
    feature(polygon(SQUARE, HOLE), id="holed"),
    feature(multipolygon([SQUARE], [SQUARE, HOLE]), id="two-parts"),
    feature(None, id="no-geometry"),
    feature({"type": "Point", "coordinates": [125.7, 43.5]}, id="point"),
    feature(polygon(SQUARE[:-1]), id="unclosed"),
    feature(polygon(SQUARE[:3]), id="three-points"),
    feature(polygon([[str(x), str(y)] for x, y in SQUARE]), id="text"),
    feature(polygon(), id="empty"),
    feature(multipolygon([SQUARE], [SQUARE[:-1]]), id="bad-part"),
    "not a feature",
    feature(polygon([[x, y, 12.5] for x, y in SQUARE]), id="three-d"),
    feature(polygon(SQUARE), id="last"),
]


def write(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_each_polygon_is_the_one_built_alone_and_faults_keep_the_files_order(tmp_path):
    data = read_vector(write(tmp_path / "mixed.geojson", FEATURES))
    geometries = list(data.frame.geometry)
    for index, item in enumerate(FEATURES):
        if index in data.unreadable_rows or not isinstance(item, dict) or not item["geometry"]:
            continue
        alone = build_geometry(item["geometry"], VertexBudget(10**9))
        assert geometries[index].geom_type == alone.geom_type, index
        assert shapely.equals_exact(geometries[index], alone, 0), index
    assert geometries[3] is None
    faulty = [(p.feature, p.code) for p in data.problems if p.is_error]
    assert faulty == [
        ("unclosed", "ring_not_closed"),
        ("three-points", "ring_too_few_points"),
        ("text", "coordinates_as_text"),
        ("bad-part", "ring_not_closed"),
        ("#10", "not_a_feature"),
    ]
    assert data.unreadable_rows == {5, 6, 7, 9, 10}
    assert geometries[11].equals(shapely.Polygon(SQUARE))  # the heights are left out


def test_positions_of_mixed_dimensions_are_built_one_by_one(tmp_path):
    mixed = [feature(polygon(SQUARE)), feature(polygon([[x, y, 1.0] for x, y in SQUARE]))]
    data = read_vector(write(tmp_path / "dims.geojson", mixed))
    assert [g.equals(shapely.Polygon(SQUARE)) for g in data.frame.geometry] == [True, True]


def test_the_vertex_budget_counts_polygons_built_together(tmp_path):
    path = write(tmp_path / "many.geojson", [feature(polygon(SQUARE))] * 10)
    assert len(read_vector(path, limits=ReadLimits(max_vertices=50))) == 10
    with pytest.raises(InputError) as info:
        read_vector(path, limits=ReadLimits(max_vertices=49))
    assert info.value.problem.code == "too_many_vertices"
