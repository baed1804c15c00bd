"""Typed coordinates: strict reading in WGS84, GCJ-02 and CGCS2000 GK zone 42."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo_app.coordinates_input import (
    INPUT_SYSTEMS,
    CoordinateInputError,
    format_coordinate,
    parse_coordinate_input,
    read_coordinate_input,
    system_label,
)
from geo_app.crs import GK42, WGS84, Converter
from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.i18n import load_strings

GEOD = Geod(ellps="GRS80")
LON, LAT = 125.66, 43.52
EASTING, NORTHING = (float(v) for v in Converter(WGS84, GK42)(LON, LAT))


def metres(a, b) -> float:
    return abs(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.mark.parametrize(
    "text",
    [
        "125.66, 43.52",
        "125.66 43.52",
        "125.66,43.52",
        "125.66；43.52".replace("；", ";"),
        "１２５.６６，４３.５２",  # full-width digits and comma
        "43.52N 125.66E",
        "43.52 N, 125.66 E",
        "125.66E 43.52N",
        "N43.52 E125.66",
        "N43.52E125.66",
        "43.52°N, 125.66°E",
        "43°31'12\"N 125°39'36\"E",
        "43°31′12″N 125°39′36″E",
        "N43°31.2' E125°39.6'",
        "东经125.66 北纬43.52",
        "北纬43度31分12秒 东经125度39分36秒",
        "lat=43.52 lon=125.66",
        "lon: 125.66, lat: 43.52",
        "Longitude 125.66 Latitude 43.52",
    ],
)
def test_wgs84_forms_all_read_the_same_point(text):
    reading = read_coordinate_input(text, "wgs84")
    assert reading.lonlat == pytest.approx((LON, LAT), abs=1e-9)
    assert reading.system == "wgs84" and reading.swapped is False


def test_latitude_first_is_read_when_only_that_order_is_a_place():
    reading = read_coordinate_input("43.52, 125.66", "wgs84")
    assert reading.lonlat == pytest.approx((LON, LAT)) and reading.swapped
    # Both orders are places: the stated order (longitude first) is kept.
    assert read_coordinate_input("43.52, 45.1", "wgs84").lonlat == (43.52, 45.1)


def test_southern_and_western_hemispheres_are_negative():
    assert parse_coordinate_input("33.9S 18.4E", "wgs84") == pytest.approx((18.4, -33.9))
    assert parse_coordinate_input("W0.1276 N51.5072", "wgs84") == pytest.approx(
        (-0.1276, 51.5072))
    assert parse_coordinate_input("-0.1276, 51.5072", "wgs84") == pytest.approx(
        (-0.1276, 51.5072))


def test_gcj02_input_is_returned_in_wgs84():
    gcj = tuple(float(v) for v in wgs84_to_gcj02(LON, LAT))
    lon, lat = parse_coordinate_input(f"{gcj[0]:.6f}, {gcj[1]:.6f}", "gcj02")
    assert metres((lon, lat), (LON, LAT)) < 0.2


@pytest.mark.parametrize(
    ("text", "prefixed", "swapped"),
    [
        (f"X={NORTHING:.2f} Y={EASTING:.2f}", True, False),
        (f"X={NORTHING:.2f} Y={EASTING - 42_000_000:.2f}", False, False),
        (f"x: {NORTHING:.2f}, y: {EASTING:.2f}", True, False),
        (f"Y={EASTING:.2f} X={NORTHING:.2f}", True, False),
        (f"北坐标 {NORTHING:.2f} 东坐标 {EASTING:.2f}", True, False),
        (f"N {NORTHING:.2f}m E {EASTING:.2f}m", True, False),
        (f"{NORTHING:.2f} {EASTING:.2f}", True, False),
        (f"{NORTHING:.2f}, {EASTING - 42_000_000:.2f}", False, False),
        # Easting first, as "42553000 4819000": taken as Y X, and said so.
        (f"{EASTING:.2f} {NORTHING:.2f}", True, True),
        # X and Y exchanged (the GIS habit): the sizes tell which is which.
        (f"X={EASTING:.2f} Y={NORTHING:.2f}", True, True),
    ],
)
def test_gauss_kruger_zone_42_with_or_without_prefix(text, prefixed, swapped):
    reading = read_coordinate_input(text, "gk42")
    assert metres(reading.lonlat, (LON, LAT)) < 0.01
    assert reading.zone_prefix is prefixed and reading.swapped is swapped


@pytest.mark.parametrize(
    ("text", "system", "key"),
    [
        ("", "wgs84", "empty"),
        ("   ", "gk42", "empty"),
        ("125.66", "wgs84", "count"),
        ("125.66 43.52 10", "wgs84", "count"),
        ("abc", "wgs84", "unreadable"),
        ("125.66, 43.52,", "wgs84", "unreadable"),
        ("125,66 43,52", "wgs84", "count"),
        ("43.52N 125.66", "wgs84", "label_both"),
        ("43.52N 125.66N", "wgs84", "same_axis"),
        ("125.66 43.52 x", "wgs84", "unreadable"),
        ("-43.52S 125.66E", "wgs84", "sign_and_hemisphere"),
        ("43°61'N 125°E", "wgs84", "minutes_range"),
        ("43.5°31'N 125°E", "wgs84", "fraction_with_minutes"),
        ("43°12\"N 125°E", "wgs84", "seconds_without_minutes"),
        ("95.1, 125.66", "wgs84", "lat_range"),
        ("200.1, 43.52", "wgs84", "lon_range"),
        ("95.0, 91.0", "wgs84", "lat_range"),
        ("2.35, 48.85", "gcj02", "gcj02_outside_china"),
        ("X=4820547 Y=41472511", "gk42", "gk_zone"),
        ("X=-4820547 Y=42472511", "gk42", "gk_negative"),
        ("X=4820547 X=42472511", "gk42", "same_axis"),
        ("X=4820547 Y=4820547", "gk42", "gk_ambiguous"),
        ("4820547 4820547", "gk42", "gk_ambiguous"),
        ("472511 472511", "gk42", "gk_ambiguous"),
        ("X=4820547 472511", "gk42", "label_both"),
        ("4820547 52", "gk42", "gk_magnitude"),
        ("X=4820547 Y=42972511", "gk42", "gk_outside_zone"),
        ("125.66, 43.52", "bd09", "unknown_system"),
    ],
)
def test_bad_input_is_refused_with_a_named_reason(text, system, key):
    with pytest.raises(CoordinateInputError) as caught:
        parse_coordinate_input(text, system)
    assert caught.value.key == key
    assert caught.value.message("zh") != caught.value.message("en")
    assert str(caught.value) == caught.value.message("en")


def test_every_error_and_system_has_both_languages():
    strings = load_strings()
    names = strings.names("coords.error.")
    assert len(names) >= 15
    for name in names:
        assert strings.get(name, "zh", **_placeholders()) and strings.get(name, "en",
                                                                          **_placeholders())
    for system in INPUT_SYSTEMS:
        assert system_label(system, "zh") != system_label(system, "en")


def _placeholders() -> dict[str, str]:
    return {"count": "3", "system": "x", "systems": "y", "zone": "41", "value": "5",
            "lon": "1", "lat": "2"}


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(124.6, 127.4), lat=st.floats(40.0, 47.0),
       system=st.sampled_from(INPUT_SYSTEMS))
def test_what_is_shown_reads_back_to_the_same_point(lon, lat, system):
    text = format_coordinate(lon, lat, system)
    assert metres(parse_coordinate_input(text, system), (lon, lat)) < 0.2


def test_formats_name_the_survey_order():
    assert format_coordinate(LON, LAT, "wgs84") == "125.660000, 43.520000"
    assert format_coordinate(LON, LAT, "gk42") == f"X={NORTHING:.2f} Y={EASTING:.2f}"
    assert format_coordinate(LON, LAT, "gk42").startswith("X=48")
