"""A clicked point in the coordinate systems planners quote, worded for the sidebar."""

from __future__ import annotations

from geo_app.crs import GCJ02, GK42, GK126, WGS84, Converter, parse_crs
from geo_app.i18n import Strings, check_lang, load_strings


def _lonlat(strings: Strings, lang: str, lon: float, lat: float) -> str:
    return strings.get("point.lonlat_value", lang, lon=f"{lon:.6f}", lat=f"{lat:.6f}")


def describe_point(
    lon: float, lat: float, lang: str = "zh", datum: str = "wgs84"
) -> list[tuple[str, str]]:
    """``[(label, text), ...]``: WGS84, CGCS2000 GK zone 42 (prefixed) and GK CM 126°E.

    ``datum`` is the datum of the given lon/lat: "gcj02" when the click came from a map
    drawn on GCJ-02 tiles; the point is then also listed in GCJ-02.
    """
    check_lang(lang)
    strings = load_strings()
    source = parse_crs(datum)
    wgs_lon, wgs_lat = (float(v) for v in Converter(source, WGS84)(lon, lat))
    rows = [(strings.get("point.wgs84", lang), _lonlat(strings, lang, wgs_lon, wgs_lat))]
    if source == GCJ02:
        rows.append((strings.get("point.gcj02", lang), _lonlat(strings, lang, lon, lat)))
    for system in (GK42, GK126):
        easting, northing = (float(v) for v in Converter(WGS84, system)(wgs_lon, wgs_lat))
        label = system.label_en if lang == "en" else system.label_zh
        rows.append(
            (label, strings.get("point.gk_value", lang, northing=f"{northing:.2f}",
                                easting=f"{easting:.2f}"))
        )
    return rows
