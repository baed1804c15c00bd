"""GeoJSON geometries built one feature at a time, each fault said in plain words.

A fault (text where numbers belong, an unclosed ring …) makes only its own feature
unusable; the caller records it and reads on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo_app.problems import error, words
from geo_app.reading.base import VertexBudget, json_type, short

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


class FeatureFault(Exception):
    """One feature is unusable; the rest of the file may be fine."""

    def __init__(self, name: str, /, **values: Any):
        # The problem ``problem.<name>``; the caller says which feature it is about.
        self.problem = error(name, **values)
        super().__init__(self.problem.message_en)


def build_geometry(value: Any, budget: VertexBudget) -> BaseGeometry:
    if not isinstance(value, dict):
        raise FeatureFault("bad_geometry.kind", found=json_type(value))
    kind = value.get("type")
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list):
            raise FeatureFault("bad_geometry.no_members")
        return shapely.GeometryCollection([build_geometry(m, budget) for m in members])
    if kind not in GEOMETRY_TYPES:
        raise FeatureFault("bad_geometry.unknown_type", kind=short(kind))
    if "coordinates" not in value:
        raise FeatureFault("bad_geometry.no_coordinates", kind=kind)
    return _GEOMETRY_BUILDERS[kind](value["coordinates"], budget)


def _positions(value: Any, budget: VertexBudget) -> NDArray:
    """A list of [x, y, …] positions as an (n, 2) float array, or a precise complaint."""
    if not isinstance(value, list):
        raise FeatureFault("bad_coordinates.positions", found=json_type(value))
    if not value:
        return np.empty((0, 2))
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):
        array = None
    if array is None or array.ndim != 2 or array.shape[1] < 2 or array.dtype.kind not in "iuf":
        # Mixed 2D/3D positions, or a fault to explain.
        array = _positions_one_by_one(value)
    budget.spend(len(array))
    coords = array[:, :2].astype(float)
    if not np.isfinite(coords).all():
        raise FeatureFault("not_finite.geojson")
    return coords


def _positions_one_by_one(value: list) -> NDArray:
    for number, position in enumerate(value, start=1):
        if not isinstance(position, list):
            if isinstance(position, int | float) and not isinstance(position, bool):
                raise FeatureFault(
                    "bad_coordinates.bare_number", number=number, found=json_type(position)
                )
            raise FeatureFault("bad_coordinates.position", number=number, found=json_type(position))
        for item in position:
            _check_coordinate(item, number)
        if len(position) < 2:
            raise FeatureFault("bad_coordinates.too_short", number=number, count=len(position))
    return np.array([position[:2] for position in value], dtype=float)


def _check_coordinate(item: Any, number: int) -> None:
    """One number of position ``number``, or a precise complaint."""
    if isinstance(item, str):
        raise FeatureFault("coordinates_as_text.position", number=number, text=short(item))
    if isinstance(item, list):
        raise FeatureFault("bad_coordinates.nested", number=number)
    if not isinstance(item, int | float) or isinstance(item, bool):
        raise FeatureFault("bad_coordinates.not_number", number=number, found=json_type(item))
    if isinstance(item, int) and abs(item) >= 2**63:
        raise FeatureFault("bad_coordinates.too_large", number=number)


def _point(value: Any, budget: VertexBudget) -> BaseGeometry:
    if value == []:
        return shapely.Point()
    coords = _positions([value], budget)
    return shapely.Point(coords[0])


def _multipoint(value: Any, budget: VertexBudget) -> BaseGeometry:
    coords = _positions(value, budget)
    return shapely.MultiPoint(coords) if len(coords) else shapely.MultiPoint()


def _linestring(value: Any, budget: VertexBudget) -> BaseGeometry:
    coords = _positions(value, budget)
    if len(coords) == 0:
        return shapely.LineString()
    if len(coords) < 2:
        raise FeatureFault("too_few_points.line")
    return shapely.LineString(coords)


def _list_of(value: Any, parts: str) -> list:
    """``value`` when it is a list; ``parts`` names what it should hold (lines, rings …)."""
    if not isinstance(value, list):
        raise FeatureFault(
            "bad_coordinates.list",
            parts=words(f"geometry_parts.{parts}"),
            found=json_type(value),
        )
    return value


def _multilinestring(value: Any, budget: VertexBudget) -> BaseGeometry:
    lines = [_linestring(item, budget) for item in _list_of(value, "lines")]
    return shapely.MultiLineString([line for line in lines if not line.is_empty])


def _ring(value: Any, number: int, budget: VertexBudget) -> NDArray:
    coords = _positions(value, budget)
    if len(coords) < 4:
        raise FeatureFault("ring_too_few_points.geojson", number=number, count=len(coords))
    if not np.array_equal(coords[0], coords[-1]):
        raise FeatureFault(
            "ring_not_closed.geojson",
            number=number,
            first=_xy(coords[0]),
            last=_xy(coords[-1]),
        )
    return coords


def _xy(point: NDArray) -> str:
    return f"({point[0]:.6f}, {point[1]:.6f})"


def _polygon(value: Any, budget: VertexBudget) -> BaseGeometry:
    rings = [
        _ring(item, number, budget)
        for number, item in enumerate(_list_of(value, "rings"), start=1)
    ]
    if not rings:
        return shapely.Polygon()
    return shapely.Polygon(rings[0], rings[1:])


def _multipolygon(value: Any, budget: VertexBudget) -> BaseGeometry:
    polygons = [_polygon(item, budget) for item in _list_of(value, "polygons")]
    return shapely.MultiPolygon([p for p in polygons if not p.is_empty])


_GEOMETRY_BUILDERS: dict[str, Callable[[Any, VertexBudget], BaseGeometry]] = {
    "Point": _point,
    "MultiPoint": _multipoint,
    "LineString": _linestring,
    "MultiLineString": _multilinestring,
    "Polygon": _polygon,
    "MultiPolygon": _multipolygon,
}
