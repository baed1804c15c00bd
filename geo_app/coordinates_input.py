"""Coordinates as planners type and read them: WGS84, GCJ-02 or CGCS2000 Gauss-Krüger zone 42.

:func:`parse_coordinate_input` reads one typed point and returns WGS84 (lon, lat);
:func:`format_coordinate` writes a WGS84 point back in a chosen system, in a form the parser
reads again. Parsing is strict: exactly two numbers, labels on both or on neither, no
guessing where two readings are possible. Where only one reading makes sense — a latitude
typed first (a number above 90 can only be a longitude), or survey X/Y given the other way
round (X, the northing, has 7 digits here; Y, the easting, 6, or 8 with the zone prefix) —
the numbers are taken that way and the reading says it was swapped.

Geographic input: "125.66, 43.52" or "125.66 43.52" (longitude first), "43.52N 125.66E",
"N43°31'12\" E125°39'36\"", "东经125.66 北纬43.52", "lat=43.52 lon=125.66".
Gauss-Krüger input (X is the northing, first as in Chinese survey documents):
"X=4820547 Y=42472511", "X=4820547 Y=472511" (no zone prefix), "42472511 4820547".
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from geo_app import gcj02
from geo_app.crs import GK42, GK126, WGS84, Converter
from geo_app.i18n import check_lang, load_strings
from geo_app.problems import KeyedError

INPUT_SYSTEMS = ("wgs84", "gk42", "gcj02")
GK_ZONE = 42
GK_CENTRAL_MERIDIAN = 126.0
# Zone 42 spans 124.5-127.5°E; a little beyond still converts well, further is a typo.
GK_MAX_DEGREES_FROM_CM = 2.0
# Where the GCJ-02 formula applies (as in geo_app.gcj02).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)


class CoordinateInputError(KeyedError):
    """Typed coordinates that cannot be read, said by ``coords.error.<key>``."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(f"coords.error.{key}", **params)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class CoordinateReading:
    """One typed point: WGS84 lon/lat, the system it was typed in, and how it was read."""

    lon: float
    lat: float
    system: str
    swapped: bool = False
    # GK only: whether the easting carried the zone number in front.
    zone_prefix: bool | None = None

    @property
    def lonlat(self) -> tuple[float, float]:
        return self.lon, self.lat


def parse_coordinate_input(text: str, system: str) -> tuple[float, float]:
    """WGS84 (lon, lat) of a point typed in ``system`` ("wgs84", "gk42" or "gcj02")."""
    return read_coordinate_input(text, system).lonlat


def read_coordinate_input(text: str, system: str) -> CoordinateReading:
    """Like :func:`parse_coordinate_input`, also saying whether the numbers were swapped."""
    if system not in INPUT_SYSTEMS:
        raise CoordinateInputError("unknown_system", system=system,
                                   systems=", ".join(INPUT_SYSTEMS))
    cleaned = _normalise(text)
    if not cleaned:
        raise CoordinateInputError("empty")
    if system == "gk42":
        return _read_gk(cleaned)
    lon, lat, swapped = _read_geographic(cleaned)
    if system == "gcj02":
        if not _in_china(lon, lat):
            raise CoordinateInputError("gcj02_outside_china")
        wgs_lon, wgs_lat = gcj02.gcj02_to_wgs84(lon, lat)
        lon, lat = float(wgs_lon), float(wgs_lat)
    return CoordinateReading(lon, lat, system, swapped)


def format_coordinate(lon: float, lat: float, system: str) -> str:
    """A WGS84 point written in ``system``, in the form :func:`parse_coordinate_input` reads.

    Degrees with 6 decimals (about 0.1 m); GK metres with 2, X (northing) first and the
    easting with its zone prefix.
    """
    if system == "wgs84":
        return f"{lon:.6f}, {lat:.6f}"
    if system == "gcj02":
        gcj_lon, gcj_lat = gcj02.wgs84_to_gcj02(lon, lat)
        return f"{float(gcj_lon):.6f}, {float(gcj_lat):.6f}"
    if system == "gk42":
        easting, northing = (float(v) for v in Converter(WGS84, GK42)(lon, lat))
        return f"X={northing:.2f} Y={easting:.2f}"
    raise CoordinateInputError("unknown_system", system=system, systems=", ".join(INPUT_SYSTEMS))


def system_label(system: str, lang: str = "zh") -> str:
    check_lang(lang)
    return load_strings().get(f"coords.system.{system}", lang)


# ---------------------------------------------------------------- shared text handling


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and punctuation (，：＝) into ASCII and a double prime
    # into two primes.
    text = unicodedata.normalize("NFKC", str(text)).strip()
    return text.replace("′′", '"').replace("′", "'").replace("″", '"').replace("''", '"')


def _in_china(lon: float, lat: float) -> bool:
    west, south, east, north = CHINA_BOX
    return west < lon < east and south < lat < north


# ---------------------------------------------------------------- longitude / latitude

_LAT_LABELS = {"北纬": 1, "南纬": -1, "纬度": 0, "latitude": 0, "lat": 0, "n": 1, "s": -1}
_LON_LABELS = {"东经": 1, "西经": -1, "经度": 0, "longitude": 0, "lon": 0, "lng": 0, "e": 1,
               "w": -1}
_LABEL_WORDS = "|".join(sorted((re.escape(k) for k in (*_LAT_LABELS, *_LON_LABELS)),
                               key=len, reverse=True))
_NUMBER = r"\d+(?:\.\d+)?"
_GEO_PART = re.compile(
    rf"""
    (?:(?P<label>{_LABEL_WORDS})(?![a-z])\s*[:=]?\s*)?
    (?P<sign>[+-])?
    (?P<deg>{_NUMBER})
    (?:\s*(?:°|度))?
    (?:\s*(?P<min>{_NUMBER})\s*(?:'|分))?
    (?:\s*(?P<sec>{_NUMBER})\s*(?:"|秒))?
    # A letter after the number is its hemisphere only when none came before it;
    # otherwise it starts the next number ("N43.5 E125.6").
    (?(label)|(?:\s*(?P<hemi>[NSEW])(?![a-z]))?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(r"\s*[,;/、]\s*|\s+")


@dataclass(frozen=True)
class _Part:
    value: float
    axis: str | None  # "lat", "lon" or None when unlabelled


def _axis_of(word: str) -> tuple[str, int]:
    word = word.lower()
    if word in _LAT_LABELS:
        return "lat", _LAT_LABELS[word]
    return "lon", _LON_LABELS[word]


def _geo_part(match: re.Match[str]) -> _Part:
    axis, sign = None, 0
    for word in (match["label"], match["hemi"]):
        if word is None:
            continue
        word_axis, word_sign = _axis_of(word)
        if axis is not None and (word_axis != axis or (sign and word_sign and word_sign != sign)):
            raise CoordinateInputError("label_conflict")
        axis, sign = word_axis, sign or word_sign
    if match["sign"] and sign:
        raise CoordinateInputError("sign_and_hemisphere")
    degrees = float(match["deg"])
    minutes = float(match["min"]) if match["min"] else 0.0
    seconds = float(match["sec"]) if match["sec"] else 0.0
    if match["sec"] and not match["min"]:
        raise CoordinateInputError("seconds_without_minutes")
    if (match["min"] or match["sec"]) and "." in match["deg"]:
        raise CoordinateInputError("fraction_with_minutes")
    if match["sec"] and "." in (match["min"] or ""):
        raise CoordinateInputError("fraction_with_minutes")
    if minutes >= 60 or seconds >= 60:
        raise CoordinateInputError("minutes_range")
    value = degrees + minutes / 60.0 + seconds / 3600.0
    if match["sign"] == "-" or sign < 0:
        value = -value
    return _Part(value, axis)


def _split(text: str, pattern: re.Pattern[str], make: Any) -> list[Any]:
    parts, position = [], 0
    while position < len(text):
        if parts:
            separator = _SEPARATOR.match(text, position)
            if separator:
                position = separator.end()
        match = pattern.match(text, position)
        if not match or match.end() == position:
            raise CoordinateInputError("unreadable")
        parts.append(make(match))
        position = match.end()
        if len(parts) > 2:
            raise CoordinateInputError("count", count=_count_numbers(text))
    if len(parts) != 2:
        raise CoordinateInputError("count", count=len(parts))
    return parts


def _count_numbers(text: str) -> int:
    return len(re.findall(_NUMBER, text))


def _read_geographic(text: str) -> tuple[float, float, bool]:
    first, second = _split(text, _GEO_PART, _geo_part)
    if (first.axis is None) != (second.axis is None):
        raise CoordinateInputError("label_both")
    swapped = False
    if first.axis is not None:
        if first.axis == second.axis:
            raise CoordinateInputError("same_axis")
        lon, lat = (first.value, second.value) if first.axis == "lon" else (
            second.value, first.value)
    else:
        lon, lat = first.value, second.value
        if abs(lat) > 90 and abs(lon) <= 90:
            # Only the other order is a place: the latitude was typed first.
            lon, lat, swapped = lat, lon, True
    if not -90 <= lat <= 90:
        raise CoordinateInputError("lat_range")
    if not -180 <= lon <= 180:
        raise CoordinateInputError("lon_range")
    return lon, lat, swapped


# ---------------------------------------------------------------- Gauss-Krüger zone 42

_GK_NORTH_LABELS = ("北坐标", "北", "x", "n")
_GK_EAST_LABELS = ("东坐标", "东", "y", "e")
_GK_PART = re.compile(
    rf"""
    (?:(?P<label>北坐标|东坐标|北|东|[XYNE])(?![a-z])\s*[:=]?\s*)?
    (?P<sign>[+-])?
    (?P<num>{_NUMBER})
    (?:\s*(?:m|米)(?![a-z]))?
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class _GkPart:
    value: float
    axis: str | None  # "north", "east" or None when unlabelled
    looks_like: str  # "north", "east", "east_prefixed"


def _gk_part(match: re.Match[str]) -> _GkPart:
    if match["sign"] == "-":
        raise CoordinateInputError("gk_negative")
    value = float(match["num"])
    label = (match["label"] or "").lower()
    axis = "north" if label in _GK_NORTH_LABELS else "east" if label in _GK_EAST_LABELS else None
    return _GkPart(value, axis, _gk_magnitude(value))


def _gk_magnitude(value: float) -> str:
    """What a GK number can be from its size alone, around Shuangyang and in China."""
    whole = math.floor(value)
    if 10_000_000 <= whole < 100_000_000:
        zone = whole // 1_000_000
        if zone != GK_ZONE:
            raise CoordinateInputError("gk_zone", zone=zone)
        return "east_prefixed"
    if 1_000_000 <= whole < 10_000_000:
        return "north"
    if 100_000 <= whole < 1_000_000:
        return "east"
    raise CoordinateInputError("gk_magnitude", value=f"{value:g}")


def _read_gk(text: str) -> CoordinateReading:
    first, second = _split(text, _GK_PART, _gk_part)
    if (first.axis is None) != (second.axis is None):
        raise CoordinateInputError("label_both")
    if first.axis is not None and first.axis == second.axis:
        raise CoordinateInputError("same_axis")
    norths = [p for p in (first, second) if p.looks_like == "north"]
    easts = [p for p in (first, second) if p.looks_like != "north"]
    if len(norths) != 1:
        raise CoordinateInputError("gk_ambiguous")
    north, east = norths[0], easts[0]
    # Labelled the other way round from what the sizes say: X and Y were exchanged, as
    # when a GIS habit (X east) meets a survey table (X north).
    swapped = north.axis == "east"
    if first.axis is None:
        # Unlabelled: survey order is X (northing) first.
        swapped = first is east
    prefixed = east.looks_like == "east_prefixed"
    system = GK42 if prefixed else GK126
    lon, lat = (float(v) for v in Converter(system, WGS84)(east.value, north.value))
    if abs(lon - GK_CENTRAL_MERIDIAN) > GK_MAX_DEGREES_FROM_CM or not 0 < lat < 60:
        raise CoordinateInputError("gk_outside_zone", lon=f"{lon:.4f}", lat=f"{lat:.4f}")
    return CoordinateReading(lon, lat, "gk42", swapped, zone_prefix=prefixed)
