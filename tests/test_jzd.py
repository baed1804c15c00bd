import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

from geo_app.crs import Converter
from geo_app.geodesy import hectares
from geo_app.problems import InputError
from geo_app.reading import read_vector
from geo_app.reading.jzd import gauss_kruger_epsg, looks_like_jzd

HOLED = shapely.Polygon(
    [(125.60, 43.50), (125.62, 43.50), (125.625, 43.515), (125.60, 43.52)],
    [[(125.605, 43.505), (125.61, 43.505), (125.61, 43.51), (125.605, 43.51)]],
)
SMALL = shapely.box(125.70, 43.45, 125.705, 43.454)
HEADER = [
    "[属性描述]",
    "格式版本号=1.01",
    "数据产生单位=测试单位",
    "坐标系=2000国家大地坐标系",
    "几度分带=3",
    "投影类型=高斯克吕格",
    "计量单位=米",
    "带号=42",
    "精度=0.01",
]


def geod_hectares(polygon):
    area, _ = Geod(ellps="GRS80").geometry_area_perimeter(orient(polygon, 1.0))
    return area / 10_000


def point_lines(coords, ring, crs="gk42", decimals=4, start=1):
    coords = np.asarray(coords)
    east, north = Converter("wgs84", crs)(coords[:, 0], coords[:, 1])
    return [
        f"J{start + i},{ring},{n:.{decimals}f},{e:.{decimals}f}"
        for i, (e, n) in enumerate(zip(east, north, strict=True))
    ]


def parcel_block(polygon, parcel_id="DK-01", name="示例地块", crs="gk42", area=""):
    lines = point_lines(polygon.exterior.coords, 1, crs)
    for number, hole in enumerate(polygon.interiors, start=2):
        lines += point_lines(hole.coords, number, crs, start=len(lines) + 1)
    head = f"{len(lines)},{area},{parcel_id},{name},面,,工业用地,0601,@"
    return [head, *lines]


def write(path, lines, encoding="utf-8"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_gbk_file_with_a_hole_reads_to_geod_hectares(tmp_path):
    path = write(
        tmp_path / "界址点.txt",
        [*HEADER, "[地块坐标]", *parcel_block(HOLED), *parcel_block(SMALL, "DK-02", "小地块")],
        encoding="gbk",
    )
    data = read_vector(path)
    assert data.source_crs.key == "gk42" and data.crs_origin == "file"
    assert data.ids == ["DK-01", "DK-02"]
    assert data.frame.loc[0, "name_zh"] == "示例地块" and data.frame.loc[0, "use_zh"] == "工业用地"
    assert data.frame.loc[1, "land_class_code"] == "0601"
    assert "text_encoding" in {p.code for p in data.problems}
    first = data.frame.geometry.iloc[0]
    assert len(first.interiors) == 1
    got = hectares(data.frame.geometry.values)
    expected = [geod_hectares(HOLED), geod_hectares(SMALL)]
    assert got == pytest.approx(expected, rel=1e-6)


def test_utf8_without_zone_prefix_uses_the_zone_number(tmp_path):
    path = write(
        tmp_path / "dk.txt",
        [*HEADER, "[地块坐标]", *parcel_block(SMALL, crs="gk126")],
    )
    data = read_vector(path)
    assert data.source_crs.key == "gk126" and data.crs_origin == "file"
    assert not any(p.code == "text_encoding" for p in data.problems)
    assert hectares(data.frame.geometry.values)[0] == pytest.approx(geod_hectares(SMALL), rel=1e-6)


def test_without_a_header_the_system_is_recognised_and_said(tmp_path):
    data = read_vector(write(tmp_path / "dk.txt", ["[地块坐标]", *parcel_block(SMALL)]))
    assert data.source_crs.key == "gk42" and data.crs_origin == "assumed"
    assert any(p.code == "crs_assumed" for p in data.problems)


def test_declared_area_and_point_count_are_checked(tmp_path):
    plane = shapely.transform(SMALL, Converter("wgs84", "gk42").transform_xy).area
    good = parcel_block(SMALL, area=f"{plane / 10_000:.4f}")
    wrong = parcel_block(SMALL, "DK-02", area="99")
    wrong[0] = "3" + wrong[0][1:]
    data = read_vector(write(tmp_path / "dk.txt", [*HEADER, "[地块坐标]", *good, *wrong]))
    by_feature = {(p.feature, p.code) for p in data.problems}
    assert ("DK-02", "jzd_area_differs") in by_feature
    assert ("DK-02", "jzd_point_count") in by_feature
    assert not any(feature == "DK-01" for feature, _ in by_feature)
    # Areas in square metres are accepted too.
    in_m2 = parcel_block(SMALL, "DK-03", area=f"{plane:.1f}")
    data = read_vector(write(tmp_path / "m2.txt", [*HEADER, "[地块坐标]", *in_m2]))
    assert not any(p.code == "jzd_area_differs" for p in data.problems)


def test_ring_outside_the_outer_ring_is_another_part(tmp_path):
    block = parcel_block(SMALL)
    other = shapely.box(125.71, 43.45, 125.712, 43.452)
    block += point_lines(other.exterior.coords, 2, start=10)
    data = read_vector(write(tmp_path / "dk.txt", [*HEADER, "[地块坐标]", *block]))
    geometry = data.frame.geometry.iloc[0]
    assert geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2
    assert any(p.code == "ring_outside_outer" for p in data.problems)


def test_unclosed_rings_are_closed(tmp_path):
    block = parcel_block(SMALL)
    del block[-1]  # the repeated first point
    data = read_vector(write(tmp_path / "dk.txt", [*HEADER, "[地块坐标]", *block]))
    assert hectares(data.frame.geometry.values)[0] == pytest.approx(geod_hectares(SMALL), rel=1e-6)


@pytest.mark.parametrize(
    "lines, code",
    [
        ([*HEADER], "jzd_no_parcels_section"),
        ([*HEADER, "[地块坐标]"], "no_features"),
        ([*HEADER, "[地块坐标]", "J1,1,4819123.4,42553123.4"], "jzd_point_without_parcel"),
    ],
)
def test_file_level_faults(tmp_path, lines, code):
    with pytest.raises(InputError) as info:
        read_vector(write(tmp_path / "dk.txt", lines))
    assert info.value.problem.code == code


def test_zone_in_the_header_must_match_the_prefix(tmp_path):
    header = [line.replace("带号=42", "带号=41") for line in HEADER]
    with pytest.raises(InputError) as info:
        read_vector(write(tmp_path / "dk.txt", [*header, "[地块坐标]", *parcel_block(SMALL)]))
    assert info.value.problem.code == "jzd_zone_mismatch"
    assert "41" in info.value.problem.message_zh and "42" in info.value.problem.message_zh


def test_point_faults_are_reported_per_parcel(tmp_path):
    bad_number = parcel_block(SMALL, "DK-01")
    bad_number[2] = "J2,1,4819123.4,东边"
    too_short = ["3,,DK-02,短,面,,,,@", "J1,1,4819123.4", "J2,1,4819124.4,42553123.4"]
    degenerate = parcel_block(SMALL, "DK-03")[:3]
    data = read_vector(
        write(tmp_path / "dk.txt", [*HEADER, "[地块坐标]", *bad_number, *too_short, *degenerate])
    )
    codes = {(p.feature, p.code) for p in data.problems if p.is_error}
    assert ("DK-01", "coordinates_as_text") in codes
    assert ("DK-02", "jzd_bad_point") in codes
    assert ("DK-03", "ring_too_few_points") in codes
    assert data.unreadable_rows == frozenset({0, 1, 2})


def test_older_datums_are_used_with_a_warning(tmp_path):
    header = [line.replace("2000国家大地坐标系", "1980西安坐标系") for line in HEADER]
    data = read_vector(write(tmp_path / "dk.txt", [*header, "[地块坐标]", *parcel_block(SMALL)]))
    assert data.source_crs.epsg == 2366
    assert any(p.code == "old_datum" for p in data.problems)


def test_gauss_kruger_codes():
    assert gauss_kruger_epsg("cgcs2000", 3, 42, True) == 4530
    assert gauss_kruger_epsg("cgcs2000", 3, 42, False) == 4551
    assert gauss_kruger_epsg("cgcs2000", 6, 21, True) == 4499
    assert gauss_kruger_epsg("beijing1954", 3, 42, True) == 2418
    assert gauss_kruger_epsg("cgcs2000", 3, 60, True) is None


def test_recognised_by_content_not_by_name(tmp_path):
    lines = [*HEADER, "[地块坐标]", *parcel_block(SMALL)]
    assert looks_like_jzd("\n".join(lines).encode("gbk"))
    assert not looks_like_jzd(b'{"type": "FeatureCollection"}')
    data = read_vector(write(tmp_path / "dk.dat", lines, encoding="gbk"))
    assert data.ids == ["DK-01"]
