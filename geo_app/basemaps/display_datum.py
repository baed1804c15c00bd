"""Coordinates between storage (always WGS84) and the datum a basemap's tiles are drawn in.

Everything the project keeps is WGS84. A basemap drawn in GCJ-02 (高德, 腾讯) sits about
560 m away from WGS84 around Shuangyang, so whatever is drawn on it — layers, highlights,
markers, the backdrop — is moved onto GCJ-02 first with :func:`to_display_datum`, and
whatever comes back from the map — a click, a drawn shape — is moved back with
:func:`from_display_datum` before it is described or stored. With WGS84-aligned tiles
(OpenStreetMap, 天地图 "_w", the offline base) both functions change nothing.

GCJ-02 is not a plain shift: its formula has terms with a period of a third of a degree, so
around Shuangyang it also stretches areas by up to about 0.5 % (0.48 % on a shipped parcel) and
lengths alike. Measuring on GCJ-02 coordinates would be that far off; the map's measuring tool
therefore converts its points back to WGS84 before it measures (see
``mapview/templates/measure_datum.js``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo_app import gcj02
from geo_app.basemaps import DATUMS, Basemap

T = TypeVar("T")


def display_datum(basemap: Basemap | str) -> str:
    """The datum a basemap is drawn in: "wgs84" or "gcj02" (a datum name passes through)."""
    datum = basemap.crs_datum if isinstance(basemap, Basemap) else str(basemap)
    if datum not in DATUMS:
        raise ValueError(f"datum must be one of {', '.join(DATUMS)}, not {datum!r}")
    return datum


def to_display_datum(value: T, basemap: Basemap | str) -> T:
    """``value`` (WGS84) as drawn on ``basemap``'s tiles.

    ``value``: a (lon, lat) pair, an array of them (N×2, extra columns kept), a shapely
    geometry, or a GeoJSON geometry, Feature or FeatureCollection (a new dict is returned;
    properties are copied, not changed).
    """
    if display_datum(basemap) == "wgs84":
        return value
    return _convert(value, _xy_to_gcj02)


def from_display_datum(value: T, basemap: Basemap | str) -> T:
    """``value`` as read off ``basemap``'s tiles (a click, a drawn shape), back in WGS84."""
    if display_datum(basemap) == "wgs84":
        return value
    return _convert(value, _xy_from_gcj02)


def _xy_to_gcj02(xy: NDArray) -> NDArray:
    lon, lat = gcj02.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return _with_xy(xy, lon, lat)


def _xy_from_gcj02(xy: NDArray) -> NDArray:
    lon, lat = gcj02.gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return _with_xy(xy, lon, lat)


def _with_xy(xy: NDArray, lon: NDArray, lat: NDArray) -> NDArray:
    out = np.array(xy, dtype=float, copy=True)
    out[:, 0], out[:, 1] = lon, lat
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_position(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) >= 2
        and all(_is_number(v) for v in value)
    )


def _convert(value: Any, step: Any) -> Any:
    if isinstance(value, BaseGeometry):
        return shapely.transform(value, step)
    if isinstance(value, np.ndarray):
        array = np.asarray(value, dtype=float)
        if array.ndim == 1:
            return step(array.reshape(1, -1))[0]
        return step(array)
    if isinstance(value, Mapping):
        return _convert_geojson(value, step)
    if _is_position(value):
        converted = step(np.asarray([value], dtype=float))[0]
        return tuple(float(v) for v in converted)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return _convert_positions(value, step)
    raise TypeError(f"cannot convert coordinates held in a {type(value).__name__}")


def _convert_positions(coords: Any, step: Any) -> Any:
    """GeoJSON ``coordinates`` at any nesting depth; each ring or line converted at once."""
    if _is_position(coords):
        return [float(v) for v in step(np.asarray([coords], dtype=float))[0]]
    if len(coords) and all(_is_position(c) for c in coords):
        widths = {len(c) for c in coords}
        if len(widths) == 1:
            return step(np.asarray(coords, dtype=float)).tolist()
        return [_convert_positions(c, step) for c in coords]
    return [_convert_positions(c, step) for c in coords]


def _convert_geojson(obj: Mapping[str, Any], step: Any) -> dict[str, Any]:
    kind = obj.get("type")
    out = dict(obj)
    if kind == "FeatureCollection":
        out["features"] = [_convert_geojson(f, step) for f in obj.get("features", [])]
    elif kind == "Feature":
        geometry = obj.get("geometry")
        out["geometry"] = None if geometry is None else _convert_geojson(geometry, step)
        if isinstance(obj.get("properties"), Mapping):
            out["properties"] = dict(obj["properties"])
    elif kind == "GeometryCollection":
        out["geometries"] = [_convert_geojson(g, step) for g in obj.get("geometries", [])]
    elif "coordinates" in obj:
        out["coordinates"] = _convert_positions(obj["coordinates"], step)
    else:
        raise TypeError(f"not a GeoJSON object with coordinates: type {kind!r}")
    # A bbox would no longer match the moved coordinates.
    out.pop("bbox", None)
    return out
