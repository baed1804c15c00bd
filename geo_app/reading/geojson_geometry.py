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

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def build_geometry(value: Any, budget: VertexBudget) -> BaseGeometry:
    if not isinstance(value, dict):
        zh, en = json_type(value)
        raise FeatureFault(
            "bad_geometry",
            f"几何应为对象，实际是{zh}",
            f"the geometry must be an object, found {en}",
        )
    kind = value.get("type")
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list):
            raise FeatureFault(
                "bad_geometry",
                'GeometryCollection 缺少 "geometries" 列表',
                'the GeometryCollection has no "geometries" list',
            )
        return shapely.GeometryCollection([build_geometry(m, budget) for m in members])
    if kind not in GEOMETRY_TYPES:
        raise FeatureFault(
            "bad_geometry",
            f"未知的几何类型 {short(kind)}",
            f"unknown geometry type {short(kind)}",
        )
    if "coordinates" not in value:
        raise FeatureFault(
            "bad_geometry", f'{kind} 缺少 "coordinates"', f'the {kind} has no "coordinates"'
        )
    return _GEOMETRY_BUILDERS[kind](value["coordinates"], budget)


def _positions(value: Any, budget: VertexBudget) -> NDArray:
    """A list of [x, y, …] positions as an (n, 2) float array, or a precise complaint."""
    if not isinstance(value, list):
        zh, en = json_type(value)
        raise FeatureFault(
            "bad_coordinates",
            f"坐标应为 [经度, 纬度] 位置的列表，实际是{zh}",
            f"coordinates must be a list of [lon, lat] positions, found {en}",
        )
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
        raise FeatureFault(
            "not_finite",
            "坐标中有 NaN 或 Infinity，它们不是有效数字",
            "the coordinates contain NaN or Infinity, which are not valid numbers",
        )
    return coords


def _positions_one_by_one(value: list) -> NDArray:
    for number, position in enumerate(value, start=1):
        if not isinstance(position, list):
            zh, en = json_type(position)
            hint_zh, hint_en = "", ""
            if isinstance(position, int | float) and not isinstance(position, bool):
                hint_zh, hint_en = "（少了一层 [ ]）", " (one level of [ ] is missing)"
            raise FeatureFault(
                "bad_coordinates",
                f"第 {number} 个位置是{zh}，应为 [经度, 纬度]{hint_zh}",
                f"position {number} is {en}, expected [lon, lat]{hint_en}",
            )
        for item in position:
            if isinstance(item, str):
                raise FeatureFault(
                    "coordinates_as_text",
                    f"第 {number} 个位置含文本 {short(item)}，坐标必须是数字（去掉引号）",
                    f"position {number} holds text {short(item)} where a number belongs "
                    "(remove the quotes)",
                )
            if isinstance(item, list):
                raise FeatureFault(
                    "bad_coordinates",
                    f"第 {number} 个位置多了一层 [ ]（几何类型与嵌套层数不符）",
                    f"position {number} has one level of [ ] too many "
                    "(the nesting does not match the geometry type)",
                )
            if not isinstance(item, int | float) or isinstance(item, bool):
                zh, en = json_type(item)
                raise FeatureFault(
                    "bad_coordinates",
                    f"第 {number} 个位置含{zh}，坐标必须是数字",
                    f"position {number} holds {en}; coordinates must be numbers",
                )
            if isinstance(item, int) and abs(item) >= 2**63:
                raise FeatureFault(
                    "bad_coordinates",
                    f"第 {number} 个位置的数字过大",
                    f"position {number} holds a number far too large",
                )
        if len(position) < 2:
            raise FeatureFault(
                "bad_coordinates",
                f"第 {number} 个位置只有 {len(position)} 个数，需要经度和纬度两个",
                f"position {number} has {len(position)} number(s); it needs lon and lat",
            )
    return np.array([position[:2] for position in value], dtype=float)


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
        raise FeatureFault(
            "too_few_points", "线只有 1 个点，至少需要 2 个", "the line has 1 point; it needs 2"
        )
    return shapely.LineString(coords)


def _list_of(value: Any, what_zh: str, what_en: str) -> list:
    if not isinstance(value, list):
        zh, en = json_type(value)
        raise FeatureFault(
            "bad_coordinates",
            f"坐标应为{what_zh}的列表，实际是{zh}",
            f"coordinates must be a list of {what_en}, found {en}",
        )
    return value


def _multilinestring(value: Any, budget: VertexBudget) -> BaseGeometry:
    lines = [_linestring(item, budget) for item in _list_of(value, "线", "lines")]
    return shapely.MultiLineString([line for line in lines if not line.is_empty])


def _ring(value: Any, number: int, budget: VertexBudget) -> NDArray:
    coords = _positions(value, budget)
    if len(coords) < 4:
        raise FeatureFault(
            "ring_too_few_points",
            f"第 {number} 个环只有 {len(coords)} 个点；闭合的环至少需要 4 个点（首点在末尾重复）",
            f"ring {number} has only {len(coords)} points; a closed ring needs at least 4 "
            "(the first point repeated at the end)",
        )
    if not np.array_equal(coords[0], coords[-1]):
        raise FeatureFault(
            "ring_not_closed",
            f"第 {number} 个环没有闭合：首点 {_xy(coords[0])} 与末点 {_xy(coords[-1])} 不同",
            f"ring {number} is not closed: the first point {_xy(coords[0])} differs from the "
            f"last {_xy(coords[-1])}",
        )
    return coords


def _xy(point: NDArray) -> str:
    return f"({point[0]:.6f}, {point[1]:.6f})"


def _polygon(value: Any, budget: VertexBudget) -> BaseGeometry:
    rings = [
        _ring(item, number, budget)
        for number, item in enumerate(_list_of(value, "环", "rings"), start=1)
    ]
    if not rings:
        return shapely.Polygon()
    return shapely.Polygon(rings[0], rings[1:])


def _multipolygon(value: Any, budget: VertexBudget) -> BaseGeometry:
    polygons = [_polygon(item, budget) for item in _list_of(value, "多边形", "polygons")]
    return shapely.MultiPolygon([p for p in polygons if not p.is_empty])


_GEOMETRY_BUILDERS: dict[str, Callable[[Any, VertexBudget], BaseGeometry]] = {
    "Point": _point,
    "MultiPoint": _multipoint,
    "LineString": _linestring,
    "MultiLineString": _multilinestring,
    "Polygon": _polygon,
    "MultiPolygon": _multipolygon,
}
