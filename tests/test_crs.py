import numpy as np
import pytest
from pyproj import CRS

from geo_app.crs import (
    CGCS2000,
    GCJ02,
    GK42,
    GK126,
    WEB_MERCATOR,
    WGS84,
    Converter,
    UnknownCRSError,
    from_pyproj,
    parse_crs,
)

SHUANGYANG = (125.66, 43.52)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wgs84", WGS84),
        ("WGS84", WGS84),
        (" cgcs2000 ", CGCS2000),
        ("gk42", GK42),
        ("gk126", GK126),
        ("webmerc", WEB_MERCATOR),
        ("gcj02", GCJ02),
        ("EPSG:4530", GK42),
        ("epsg:4551", GK126),
        ("4326", WGS84),
        ("EPSG:3857", WEB_MERCATOR),
    ],
)
def test_parse_crs_aliases(text, expected):
    assert parse_crs(text) is expected


def test_parse_crs_accepts_other_epsg_codes_and_objects():
    utm = parse_crs("EPSG:32651")
    assert utm.epsg == 32651 and not utm.is_geographic
    assert parse_crs(GK42) is GK42


@pytest.mark.parametrize("text", ["foo", "", "EPSG:", "EPSG:999999", "gk", "epsg:abc"])
def test_parse_crs_rejects_unknown_names(text):
    with pytest.raises(UnknownCRSError):
        parse_crs(text)


def test_an_unknown_name_is_said_in_either_language():
    with pytest.raises(UnknownCRSError) as info:
        parse_crs("mars2000")
    assert str(info.value) == info.value.message("en")
    assert info.value.message("en").startswith("unknown coordinate system 'mars2000'; use one of")
    assert info.value.message("zh").startswith("未知的坐标系 'mars2000'；请使用 wgs84")
    with pytest.raises(UnknownCRSError) as info:
        parse_crs("EPSG:999999")
    assert info.value.message("zh") == "EPSG:999999 不是 PROJ 认识的坐标系"


def test_from_pyproj():
    assert from_pyproj(None) is None
    assert from_pyproj(CRS.from_epsg(4530)) is GK42
    with pytest.raises(UnknownCRSError):
        from_pyproj(CRS.from_proj4("+proj=tmerc +lon_0=125.5 +ellps=GRS80 +units=m"))


def test_gk42_easting_carries_the_zone_prefix_and_gk126_does_not():
    e42, n42 = Converter(WGS84, GK42)(*SHUANGYANG)
    e126, n126 = Converter(WGS84, GK126)(*SHUANGYANG)
    assert 42_400_000 < e42 < 42_600_000
    assert str(int(e42)).startswith("42") and len(str(int(e42))) == 8
    assert 400_000 < e126 < 600_000
    assert e42 - e126 == pytest.approx(42_000_000, abs=1e-6)
    assert n42 == pytest.approx(n126, abs=1e-6)
    # The central meridian is 126E: Shuangyang lies just west of it.
    assert e126 < 500_000
    assert 4_800_000 < n126 < 4_830_000


def test_converter_uses_lon_lat_order_for_northing_first_systems():
    east, north = Converter(WGS84, GK126)(126.0, 43.5)
    assert east == pytest.approx(500_000, abs=1e-6)
    assert north > 4_000_000


@pytest.mark.parametrize("target", [GK42, GK126, CGCS2000, WEB_MERCATOR, GCJ02, "EPSG:32651"])
def test_converter_round_trips(target):
    rng = np.random.default_rng(3)
    lon = rng.uniform(125.44, 126.02, 200)
    lat = rng.uniform(43.26, 43.80, 200)
    x, y = Converter(WGS84, target)(lon, lat)
    back_lon, back_lat = Converter(target, WGS84)(x, y)
    assert np.max(np.abs(back_lon - lon)) < 1e-8
    assert np.max(np.abs(back_lat - lat)) < 1e-8


def test_gcj02_to_gk_goes_through_wgs84():
    gcj = (125.664662, 43.525311)
    direct = Converter(GCJ02, GK42)(*gcj)
    via = Converter(WGS84, GK42)(*Converter(GCJ02, WGS84)(*gcj))
    assert direct[0] == pytest.approx(via[0], abs=1e-6)
    assert direct[1] == pytest.approx(via[1], abs=1e-6)


def test_transform_xy_for_shapely():
    coords = np.array([[125.66, 43.52], [125.70, 43.55]])
    out = Converter(WGS84, GK126).transform_xy(coords)
    assert out.shape == (2, 2)
    assert out[0, 0] == pytest.approx(float(Converter(WGS84, GK126)(125.66, 43.52)[0]))
