import pytest
from pyproj import Transformer

from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.mapview import describe_point


def _numbers(text):
    import re

    return [float(x) for x in re.findall(r"\d+\.\d+", text)]


def test_wgs84_and_both_gauss_kruger_forms():
    rows = describe_point(125.6, 43.5, "zh")
    labels = [label for label, _ in rows]
    assert labels[0] == "WGS84 经纬度"
    assert "第42带" in labels[1] and "126°E" in labels[2]
    assert _numbers(rows[0][1]) == [125.6, 43.5]
    expected = Transformer.from_crs(4326, 4530, always_xy=True).transform(125.6, 43.5)
    # EPSG:4530 gives (northing, easting) order with always_xy: x is easting.
    northing, easting = _numbers(rows[1][1])
    assert easting == pytest.approx(expected[0], abs=0.01)
    assert northing == pytest.approx(expected[1], abs=0.01)
    assert 42_000_000 < easting < 43_000_000
    northing126, easting126 = _numbers(rows[2][1])
    assert easting126 == pytest.approx(easting - 42_000_000, abs=0.01)
    assert northing126 == pytest.approx(northing, abs=0.01)


def test_english_labels():
    rows = describe_point(125.6, 43.5, "en")
    assert rows[0] == ("WGS84 lon/lat", "43.500000° N, 125.600000° E")
    assert rows[1][1].startswith("N (X) = ")


def test_a_gcj02_click_is_converted_back_and_also_listed():
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(125.6, 43.5))
    rows = describe_point(gcj_lon, gcj_lat, "en", datum="gcj02")
    labels = [label for label, _ in rows]
    assert labels[:2] == ["WGS84 lon/lat", "GCJ-02 lon/lat (AutoNavi/Tencent)"]
    lat, lon = _numbers(rows[0][1])
    assert lon == pytest.approx(125.6, abs=1e-6) and lat == pytest.approx(43.5, abs=1e-6)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        describe_point(125.6, 43.5, "de")
