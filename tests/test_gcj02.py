import numpy as np
import pytest
from pyproj import Geod

from geo_app.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

# The district centre as published in GCJ-02 (AutoNavi/DataV) and where it lies in WGS84.
DATAV_CENTRE_GCJ = (125.664662, 43.525311)
CENTRE_WGS = (125.6585, 43.5229)


def test_datav_centre_converts_to_the_known_wgs84_point():
    lon, lat = gcj02_to_wgs84(*DATAV_CENTRE_GCJ)
    assert lon == pytest.approx(CENTRE_WGS[0], abs=0.0005)
    assert lat == pytest.approx(CENTRE_WGS[1], abs=0.0005)


def test_offset_at_shuangyang_is_hundreds_of_metres_east_and_north():
    lon, lat = 125.66, 43.52
    glon, glat = wgs84_to_gcj02(lon, lat)
    geod = Geod(ellps="GRS80")
    _, _, east = geod.inv(lon, lat, glon, lat)
    _, _, north = geod.inv(lon, lat, lon, glat)
    assert glon > lon and glat > lat
    assert 450 < east < 540
    assert 230 < north < 300


def test_round_trip_is_better_than_1e7_degree_over_the_district():
    rng = np.random.default_rng(7)
    lon = rng.uniform(125.44, 126.02, 500)
    lat = rng.uniform(43.26, 43.80, 500)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(back_lon - lon)) < 1e-7
    assert np.max(np.abs(back_lat - lat)) < 1e-7


@pytest.mark.parametrize("lon, lat", [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (151.2, -33.9)])
def test_points_outside_china_are_unchanged(lon, lat):
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_arrays_keep_their_shape_and_values_match_scalars():
    lon = np.array([[125.5, 125.6], [125.7, 125.8]])
    lat = np.array([[43.4, 43.5], [43.6, 43.7]])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == lon.shape and glat.shape == lat.shape
    assert glon[1, 0] == pytest.approx(float(wgs84_to_gcj02(125.7, 43.6)[0]), abs=1e-12)
