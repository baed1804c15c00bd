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


# --- many polygons at once ----------------------------------------------------------------


def polygons_at_once(
    values: list[Any], budget: VertexBudget
) -> tuple[list[BaseGeometry | None], list[int]]:
    """Build the (multi)polygons of many ``Polygon``/``MultiPolygon`` geometries in a few
    array calls: a district's GeoJSON holds a hundred thousand of them, and building them
    one by one took most of its reading time.

    Only well-formed geometries are built here (numeric positions of one dimension, every
    ring closed and of four positions or more, no empty part). The indices of the others
    are returned, their places left None, for :func:`build_geometry` to build or to
    explain one by one; their vertices are not counted here.
    """
    shapes: list[BaseGeometry | None] = [None] * len(values)
    # Each ring's positions, and which polygon each ring and which value each polygon is of.
    rings: list[list] = []
    ring_polygon: list[int] = []
    polygon_value: list[int] = []
    plain: list[int] = []
    others: list[int] = []
    for index, value in enumerate(values):
        if not _gather(value, rings, ring_polygon, polygon_value, index):
            others.append(index)
        elif value["type"] == "Polygon":
            plain.append(index)
    if not rings:
        return shapes, others
    try:
        coords = np.array([position for ring in rings for position in ring])
    except (ValueError, TypeError, OverflowError):
        coords = None
    if coords is None or coords.ndim != 2 or coords.shape[1] < 2 or coords.dtype.kind not in "iuf":
        # Mixed 2D and 3D positions, text, nulls …: each one on its own.
        return [None] * len(values), list(range(len(values)))
    coords = coords[:, :2].astype(float)
    sizes = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    ring_ok = (sizes >= 4) & (coords[starts] == coords[ends - 1]).all(axis=1)
    vertex_ok = np.isfinite(coords).all(axis=1)
    ring_ok &= np.add.reduceat(vertex_ok, starts) == sizes
    polygon_value_arr = np.asarray(polygon_value)
    ring_polygon_arr = np.asarray(ring_polygon)
    ring_value = polygon_value_arr[ring_polygon_arr]
    bad_values = np.unique(ring_value[~ring_ok])
    keep_ring = ~np.isin(ring_value, bad_values)
    others = sorted({*others, *bad_values.tolist()})
    if not keep_ring.any():
        return shapes, others
    vertex_ring = np.repeat(np.arange(len(rings)), sizes)
    keep_vertex = keep_ring[vertex_ring]
    budget.spend(int(keep_vertex.sum()))
    # The array calls number their outputs 0, 1, 2 … by the indices they are given.
    ring_number = (np.cumsum(keep_ring) - 1)[vertex_ring[keep_vertex]]
    linear = shapely.linearrings(coords[keep_vertex], indices=ring_number)
    kept_polygons, polygon_number = np.unique(
        ring_polygon_arr[keep_ring], return_inverse=True
    )
    polygons = shapely.polygons(linear, indices=polygon_number)
    value_of_polygon = polygon_value_arr[kept_polygons]
    is_plain = np.isin(value_of_polygon, np.asarray(plain, dtype=np.int64))
    for index, polygon in zip(
        value_of_polygon[is_plain].tolist(), polygons[is_plain], strict=True
    ):
        shapes[index] = polygon
    if not is_plain.all():
        multi_values, multi_number = np.unique(value_of_polygon[~is_plain], return_inverse=True)
        multis = shapely.multipolygons(polygons[~is_plain], indices=multi_number)
        for index, multi in zip(multi_values.tolist(), multis, strict=True):
            shapes[index] = multi
    return shapes, others


def _gather(
    value: Any, rings: list, ring_polygon: list, polygon_value: list, index: int
) -> bool:
    """Add the rings of a well-shaped Polygon or MultiPolygon ``value``; False (nothing
    added) for anything else."""
    if not isinstance(value, dict):
        return False
    kind, coordinates = value.get("type"), value.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list) and coordinates:
        polygons = coordinates
    else:
        return False
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return False
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return False
    for polygon in polygons:
        number = len(polygon_value)
        polygon_value.append(index)
        for ring in polygon:
            rings.append(ring)
            ring_polygon.append(number)
    return True
