import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_app.crs import GK42, WGS84, Converter
from geo_app.problems import Problem
from geo_app.reading import ReadLimits
from geo_app.validation import (
    ValidationReport,
    check_point,
    district_boundary,
    validate_file,
    validate_frame,
)

# A stand-in for the district: tests must not depend on the shipped outline's exact shape.
BOUNDARY = shapely.box(125.4, 43.2, 126.0, 43.8)
PARCEL = shapely.box(125.70, 43.50, 125.71, 43.51)


def frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=4326)


def codes(problems):
    return [(p.feature, p.code, p.severity) for p in problems]


def test_a_clean_frame_has_no_problems():
    assert validate_frame(frame([PARCEL], id=["a"]), boundary=BOUNDARY) == []


def test_geometry_problems_one_per_feature():
    with np.errstate(invalid="ignore"):
        with_nan = shapely.Polygon([(125.7, 43.5), (np.nan, 43.5), (125.71, 43.51), (125.7, 43.5)])
    bowtie = shapely.Polygon([(125.70, 43.50), (125.71, 43.51), (125.71, 43.50), (125.70, 43.51)])
    hole_outside = shapely.Polygon(
        PARCEL.exterior.coords, [shapely.box(125.80, 43.60, 125.81, 43.61).exterior.coords]
    )
    geoms = [
        None,
        shapely.Polygon(),
        shapely.GeometryCollection(),
        shapely.Point(125.7, 43.5),
        shapely.LineString([(125.7, 43.5), (125.8, 43.6)]),
        bowtie,
        hole_outside,
        with_nan,
        shapely.box(43.50, 125.70, 43.51, 125.71),
        shapely.box(1000, 1000, 1001, 1001),
        shapely.GeometryCollection([PARCEL]),
    ]
    problems = validate_frame(frame(geoms, id=[f"f{i}" for i in range(len(geoms))]))
    assert codes(problems) == [
        ("f0", "no_geometry", "error"),
        ("f1", "empty_geometry", "error"),
        ("f2", "empty_geometry", "error"),
        ("f3", "not_polygon", "error"),
        ("f4", "not_polygon", "error"),
        ("f5", "self_intersection", "error"),
        ("f6", "hole_outside", "error"),
        ("f7", "not_finite", "error"),
        ("f8", "swapped_lat_lon", "error"),
        ("f9", "out_of_range", "error"),
    ]
    bowtie_problem = problems[5]
    assert "crosses itself near 125.705000, 43.505000" in bowtie_problem.message_en
    assert "125.705000, 43.505000" in bowtie_problem.message_zh
    assert "is a point, not a polygon" in problems[3].message_en


def test_points_and_lines_pass_when_any_geometry_is_accepted():
    geoms = [shapely.Point(125.7, 43.5), shapely.LineString([(125.7, 43.5), (125.8, 43.6)])]
    assert validate_frame(frame(geoms), expect_polygons=False) == []


def test_labels_default_to_the_id_column_else_row_number():
    problems = validate_frame(frame([None, None], id=["x", None]))
    assert [p.feature for p in problems] == ["x", "#1"]


def test_rows_already_reported_while_reading_are_skipped():
    assert validate_frame(frame([None, PARCEL]), skip_rows={0}) == []


def test_duplicate_ids():
    problems = validate_frame(frame([PARCEL, PARCEL, PARCEL], id=["a", "b", "a"]))
    assert codes(problems) == [("a", "duplicate_id", "error")]
    assert "used by 2 features (#0, #2)" in problems[0].message_en


def test_outside_and_partly_outside_the_district_are_warnings():
    far = shapely.box(116.3, 39.9, 116.31, 39.91)
    straddling = shapely.box(125.99, 43.5, 126.05, 43.51)
    just_across = shapely.box(125.99, 43.5, 126.0005, 43.51)
    problems = validate_frame(
        frame([PARCEL, far, straddling, just_across], id=["in", "far", "across", "edge"]),
        boundary=BOUNDARY,
    )
    assert codes(problems) == [
        ("far", "outside_district", "warning"),
        ("across", "partly_outside_district", "warning"),
    ]
    assert "outside Shuangyang District" in problems[0].message_en
    assert problems[0].message_zh == "位于双阳区边界之外"


def test_required_attributes_and_allowed_values():
    parcels = frame([PARCEL] * 3, id=["a", "b", "c"], status=["planned", None, "done"])
    problems = validate_frame(
        parcels,
        required_fields=("status", "town"),
        allowed_values={"status": ("planned", "supplied")},
    )
    assert codes(problems) == [
        (None, "missing_attribute", "error"),
        ("b", "missing_attribute", "error"),
        ("c", "unexpected_value", "error"),
    ]
    assert "'town' is missing from every feature" in problems[0].message_en
    assert "expected one of: planned, supplied" in problems[2].message_en


def test_empty_frame():
    assert codes(validate_frame(frame([]))) == [(None, "no_features", "error")]


def test_problem_lines_in_both_languages():
    err = Problem("error", "x", "边界自相交", "the boundary crosses itself", "p-1")
    warn = Problem("warning", "y", "位于双阳区边界之外", "lies outside", "#3")
    whole = Problem("error", "z", "文件是空的", "the file is empty")
    assert err.line("en") == "feature p-1: the boundary crosses itself"
    assert err.line("zh") == "要素 p-1：边界自相交"
    assert warn.line("en") == "warning: feature #3: lies outside"
    assert warn.line("zh") == "警告：要素 #3：位于双阳区边界之外"
    assert whole.line("en") == "file: the file is empty"


def write(tmp_path, document, name="f.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def fc(*geometries, ids=None):
    ids = ids or [f"p{i}" for i in range(len(geometries))]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": i}, "geometry": g}
            for i, g in zip(ids, geometries, strict=True)
        ],
    }


def polygon(geom):
    return json.loads(shapely.to_geojson(geom))


def test_validate_file_reports_reading_and_checking_problems_together(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[125.7, 43.5], [125.71, 43.51], [125.71, 43.5], [125.7, 43.51], [125.7, 43.5]]
        ],
    }
    unclosed = {
        "type": "Polygon",
        "coordinates": [[[125.7, 43.5], [125.71, 43.5], [125.71, 43.51], [125.7, 43.52]]],
    }
    report = validate_file(
        write(tmp_path, fc(polygon(PARCEL), bowtie, unclosed)), boundary=BOUNDARY
    )
    assert isinstance(report, ValidationReport) and not report.ok
    assert codes(report.problems) == [
        ("p2", "ring_not_closed", "error"),
        ("p1", "self_intersection", "error"),
    ]
    assert report.data is not None and len(report.data) == 3


def test_warnings_alone_leave_a_file_usable(tmp_path):
    gk = shapely.transform(PARCEL, Converter(WGS84, GK42).transform_xy)
    report = validate_file(write(tmp_path, fc(polygon(gk))), boundary=BOUNDARY)
    assert report.ok and [p.code for p in report.warnings] == ["crs_assumed"]
    assert report.data.source_crs is GK42


def test_unreadable_file_gives_a_single_file_problem(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    report = validate_file(path)
    assert report.data is None and codes(report.problems) == [(None, "truncated_json", "error")]
    assert report.lines("en") == [
        "file: the JSON ends unexpectedly at line 1, column 44: the file is incomplete (truncated)"
    ]


def test_default_boundary_is_the_shipped_district(tmp_path):
    outline = district_boundary()
    assert outline is not None
    assert outline.contains(shapely.Point(125.6585, 43.5229))
    far = shapely.box(116.3, 39.9, 116.31, 39.91)
    report = validate_file(write(tmp_path, fc(polygon(PARCEL), polygon(far))))
    assert codes(report.problems) == [("p1", "outside_district", "warning")]


@pytest.mark.parametrize(
    "cs, x, y, code",
    [
        (WGS84, 125.7, 43.5, None),
        (WGS84, 43.5, 125.7, "swapped_lat_lon"),
        (WGS84, 425000.0, 4818000.0, "out_of_range"),
        (GK42, 125.7, 43.5, "crs_mismatch"),
        (GK42, 42475736.99, 4818312.41, None),
        (WGS84, math.nan, 43.5, "not_finite"),
    ],
)
def test_check_point(cs, x, y, code):
    problem = check_point(cs, x, y)
    assert (problem.code if problem else None) == code


# --- fuzz: validate never raises, whatever the bytes --------------------------------------

KEYS = ["type", "features", "geometry", "geometries", "coordinates", "properties", "id", "crs"]
TYPES = [
    "FeatureCollection",
    "Feature",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Nope",
]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(min_value=125.0, max_value=126.0),
    st.floats(min_value=43.0, max_value=44.0),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=4), st.sampled_from(TYPES))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=3)), children, max_size=5
        ),
    ),
    max_leaves=40,
)
positions = st.lists(st.one_of(numbers, st.text(max_size=2), st.none()), min_size=0, max_size=4)
rings = st.lists(positions, max_size=6)
geometries = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "coordinates": st.one_of(positions, rings, st.lists(rings, max_size=3), json_values),
    }
)
features = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Feature", "Other"]),
        "properties": st.one_of(
            st.none(), json_values, st.dictionaries(st.sampled_from(KEYS), scalars)
        ),
        "geometry": st.one_of(st.none(), geometries, json_values),
    }
)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "type": st.just("FeatureCollection"),
            "features": st.lists(st.one_of(features, json_values), max_size=5),
        }
    ),
    geometries,
)
FUZZ_LIMITS = ReadLimits(max_file_bytes=1_000_000, max_features=50, max_vertices=500)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=documents, cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)))
def test_validate_never_raises_on_json_like_input(tmp_path, document, cut):
    text = json.dumps(document, allow_nan=True)
    if cut is not None:
        text = text[:cut]
    path = tmp_path / "fuzz.geojson"
    path.write_text(text, encoding="utf-8")
    report = validate_file(path, boundary=BOUNDARY, limits=FUZZ_LIMITS)
    assert isinstance(report, ValidationReport)
    for problem in report.problems:
        assert problem.message_zh and problem.message_en and problem.code


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300),
    name=st.sampled_from(["x.geojson", "x.json", "x.gpkg", "x.kml", "x.zip", "x.dat"]),
)
def test_validate_never_raises_on_arbitrary_bytes(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    report = validate_file(path, boundary=BOUNDARY, limits=FUZZ_LIMITS)
    assert isinstance(report, ValidationReport)
