import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo_app import geodesy
from geo_app.catalog import load_layer_frame
from geo_app.crs import GK42, GK126, WGS84, Converter
from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.geodesy import EllipsoidalArea, hectares, plane_hectares
from geo_app.reading import read_vector

GEOD = Geod(ellps="GRS80")
OFFICIAL_AREA_KM2 = 1677.4


def _ring(lon, lat, dlon, dlat, n=12, seed=0):
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = rng.uniform(0.7, 1.0, n)
    return [
        (lon + dlon * r * np.cos(a), lat + dlat * r * np.sin(a))
        for a, r in zip(angles, radius, strict=True)
    ]


def parcel_set():
    """Parcels near the district seat: plain, holed, multi-part, clockwise, and large."""
    square = shapely.box(125.600, 43.500, 125.610, 43.505)
    holed = shapely.Polygon(
        shapely.box(125.650, 43.520, 125.662, 43.528).exterior.coords,
        [shapely.box(125.654, 43.522, 125.657, 43.525).exterior.coords],
    )
    multi = shapely.MultiPolygon(
        [
            shapely.box(125.70, 43.45, 125.705, 43.454),
            shapely.Polygon(_ring(125.72, 43.46, 0.004, 0.003)),
        ]
    )
    clockwise = shapely.Polygon(_ring(125.80, 43.60, 0.006, 0.004, seed=3)[::-1])
    large = shapely.Polygon(_ring(125.55, 43.70, 0.05, 0.04, n=40, seed=5))
    return np.array([square, holed, multi, clockwise, large], dtype=object)


def geod_hectares(geoms):
    oriented = shapely.orient_polygons(np.asarray(geoms, dtype=object))
    return np.array([GEOD.geometry_area_perimeter(g)[0] for g in oriented]) / 1e4


def test_hectares_match_geod_per_parcel():
    geoms = parcel_set()
    ours = hectares(geoms)
    truth = geod_hectares(geoms)
    assert np.all(truth > 0)
    np.testing.assert_allclose(ours, truth, rtol=1e-6)



def test_polygons_without_holes_measure_alike_alone_and_among_others():
    # Polygons without holes only are measured the short way, from their coordinates at
    # once; with a holed one among them, each ring is taken out. The figures must agree.
    geoms = parcel_set()
    simple = np.array([g for g in geoms
                       if g.geom_type == "Polygon" and not g.interiors] + [shapely.Polygon()],
                      dtype=object)
    assert len(simple) == 4
    alone = hectares(simple)
    among = hectares(np.concatenate([simple, geoms]))[: len(simple)]
    np.testing.assert_allclose(alone, among, rtol=1e-12)
    np.testing.assert_allclose(alone[:-1], geod_hectares(simple[:-1]), rtol=1e-6)
    assert alone[-1] == 0.0

def test_many_geometries_are_measured_a_slice_at_a_time_with_the_same_figures(monkeypatch):
    geoms = np.concatenate([parcel_set(), [None, shapely.Point(125.7, 43.5), shapely.Polygon()],
                            parcel_set()])
    whole = hectares(geoms)
    monkeypatch.setattr(geodesy, "GEOMETRIES_AT_A_TIME", 3)
    sliced = hectares(geoms)
    assert len(sliced) == len(geoms)
    np.testing.assert_array_equal(sliced, whole)
    assert (sliced[:len(parcel_set())] > 0).all()


def test_holes_are_subtracted():
    shell = shapely.box(125.650, 43.520, 125.662, 43.528)
    hole = shapely.box(125.654, 43.522, 125.657, 43.525)
    holed = shapely.Polygon(shell.exterior.coords, [hole.exterior.coords])
    shell_ha, hole_ha, holed_ha = hectares([shell, hole, holed])
    assert holed_ha == pytest.approx(shell_ha - hole_ha, rel=1e-9)
    assert holed_ha < shell_ha


def test_multipolygon_parts_are_summed():
    a = shapely.box(125.70, 43.45, 125.705, 43.454)
    b = shapely.box(125.72, 43.46, 125.724, 43.463)
    a_ha, b_ha, both = hectares([a, b, shapely.MultiPolygon([a, b])])
    assert both == pytest.approx(a_ha + b_ha, rel=1e-12)


def test_orientation_does_not_matter():
    geoms = parcel_set()
    reversed_ = shapely.reverse(geoms)
    np.testing.assert_allclose(hectares(reversed_), hectares(geoms), rtol=1e-9)


def test_non_polygons_and_missing_geometries_count_as_zero():
    result = hectares(
        [None, shapely.Point(125.7, 43.5), shapely.LineString([(125, 43), (126, 44)])]
    )
    assert result.tolist() == [0.0, 0.0, 0.0]


def test_even_a_one_degree_cell_agrees_with_geod():
    # Edges this long are where a sphere-based method drifts most from true geodesics.
    cell = shapely.box(125.0, 43.0, 126.0, 44.0)
    expected = GEOD.polygon_area_perimeter([125, 126, 126, 125], [43, 43, 44, 44])[0]
    assert EllipsoidalArea().square_metres([cell])[0] == pytest.approx(abs(expected), rel=1e-6)


def _write(frame, path, **kwargs):
    frame.to_file(path, **kwargs)
    return path


@pytest.fixture
def parcel_frame():
    geoms = parcel_set()
    return gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4326
    )


def test_same_hectares_from_wgs84_gk42_gk126_and_gcj02_files(tmp_path, parcel_frame):
    expected = hectares(parcel_set())
    files = {
        "wgs84": _write(parcel_frame, tmp_path / "wgs84.geojson"),
        "gk42": _write(parcel_frame.to_crs(4530), tmp_path / "gk42.geojson"),
        "gk126": _write(parcel_frame.to_crs(4551), tmp_path / "gk126.gpkg"),
    }
    gcj = parcel_frame.copy()
    gcj.geometry = shapely.transform(
        np.asarray(parcel_frame.geometry.array, dtype=object),
        lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])),
    )
    # GCJ-02 has no EPSG code: such files come without a coordinate system.
    files["gcj02"] = tmp_path / "gcj02.geojson"
    files["gcj02"].write_text(gcj.set_crs(None, allow_override=True).to_json(), encoding="utf-8")
    readings = {
        "wgs84": read_vector(files["wgs84"]),
        "gk42": read_vector(files["gk42"]),
        "gk126": read_vector(files["gk126"]),
        "gcj02": read_vector(files["gcj02"], crs="gcj02"),
    }
    assert readings["gk42"].source_crs is GK42
    assert readings["gk126"].source_crs is GK126
    for name, data in readings.items():
        got = hectares(np.asarray(data.frame.geometry.array, dtype=object))
        np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=name)
    # Without --crs the GCJ-02 file reads as WGS84 and every parcel shifts by ~500 m;
    # the areas barely change, so only the positions reveal the mistake.
    unshifted = read_vector(files["gcj02"])
    assert unshifted.source_crs is WGS84
    shift = shapely.distance(
        shapely.centroid(readings["gcj02"].frame.geometry.array[0]),
        shapely.centroid(unshifted.frame.geometry.array[0]),
    )
    assert shift > 0.004


def test_district_boundary_is_about_the_official_area():
    boundary = load_layer_frame("boundary")
    km2 = float(hectares(np.asarray(boundary.geometry.array, dtype=object)).sum()) / 100.0
    assert km2 == pytest.approx(OFFICIAL_AREA_KM2, rel=0.005)
    assert km2 == pytest.approx(1675, abs=5)


def test_plane_area_differs_from_ellipsoidal_by_about_1e4():
    geoms = parcel_set()
    relative = plane_hectares(geoms) / hectares(geoms) - 1.0
    assert np.all(np.abs(relative) > 1e-6)
    assert np.all(np.abs(relative) < 1e-3)
    assert 1e-5 < np.median(np.abs(relative)) < 5e-4


def test_plane_hectares_can_use_gk42():
    geoms = parcel_set()
    np.testing.assert_allclose(plane_hectares(geoms, GK42), plane_hectares(geoms, GK126), rtol=1e-9)


def test_not_web_mercator_planar_area():
    geoms = parcel_set()
    mercator = Converter(WGS84, "webmerc")
    planar = shapely.area(shapely.transform(geoms, mercator.transform_xy)) / 1e4
    ours = hectares(geoms)
    # At 43.5N Web Mercator inflates areas by 1/cos^2(lat), about 1.9x.
    assert np.all(planar / ours > 1.8)
    assert not np.allclose(ours, planar, rtol=0.1)
    np.testing.assert_allclose(ours, geod_hectares(geoms), rtol=1e-6)
