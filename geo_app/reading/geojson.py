"""GeoJSON parsed with :mod:`json`, for precise messages about broken documents.

The nesting depth is measured before parsing, so a hostile document of 100,000 nested
arrays is refused in milliseconds instead of exhausting the parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from geo_app.crs import WGS84, CoordinateSystem, UnknownCRSError, parse_crs
from geo_app.problems import InputError, Problem, error
from geo_app.reading.base import (
    RawLayer,
    ReadLimits,
    VertexBudget,
    check_feature_count,
    file_error,
    json_type,
    short,
)
from geo_app.reading.geojson_geometry import GEOMETRY_TYPES, FeatureFault, build_geometry

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def json_nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting of JSON text, found without parsing it.

    Strings are blanked first so brackets inside text do not count. Linear time, so a
    hostile file with 100,000 nested arrays is measured in milliseconds.
    """
    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    opens = (skeleton == ord("[")) | (skeleton == ord("{"))
    closes = (skeleton == ord("]")) | (skeleton == ord("}"))
    positions = np.flatnonzero(opens | closes)
    if positions.size == 0:
        return 0
    steps = np.where(opens[positions], 1, -1).astype(np.int64)
    return int(np.cumsum(steps).max())


def decode_json_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise file_error(
            "not_utf8",
            "文件是 UTF-16 编码；GeoJSON 必须是 UTF-8",
            "the file is UTF-16 encoded; GeoJSON must be UTF-8",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise file_error(
            "not_utf8",
            f"第 {line} 行有不是 UTF-8 的字节（GeoJSON 必须是 UTF-8 编码）",
            f"line {line} has bytes that are not UTF-8 (GeoJSON must be UTF-8 encoded)",
        ) from None


_JSON_MESSAGES: dict[str, tuple[str, str]] = {
    "Expecting value": ("此处应为一个值", "a value was expected here"),
    "Expecting ',' delimiter": ("此处缺少逗号", "a comma is missing here"),
    "Expecting ':' delimiter": ("此处缺少冒号", "a colon is missing here"),
    "Expecting property name enclosed in double quotes": (
        "此处应为双引号括起的属性名（可能多了一个逗号）",
        "a property name in double quotes was expected (perhaps a stray comma)",
    ),
    "Unterminated string starting at": ("文本没有结束引号", "a text value has no closing quote"),
    "Invalid control character at": (
        "文本中有控制字符",
        "a text value contains a control character",
    ),
    "Invalid \\escape": ("文本中有无效的转义符", "a text value has an invalid \\ escape"),
    "Extra data": ("JSON 结束后还有多余内容", "there is more content after the JSON ends"),
}


def _brackets_left_open(text: str) -> bool:
    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', text.encode("utf-8")), dtype=np.uint8)
    opens = np.count_nonzero((skeleton == ord("[")) | (skeleton == ord("{")))
    closes = np.count_nonzero((skeleton == ord("]")) | (skeleton == ord("}")))
    return opens > closes


def _json_syntax_problem(exc: json.JSONDecodeError, text: str) -> Problem:
    where_zh = f"第 {exc.lineno} 行第 {exc.colno} 列"
    where_en = f"line {exc.lineno}, column {exc.colno}"
    end = len(text.rstrip())
    unterminated = exc.msg.startswith("Unterminated string") and '"' not in text[exc.pos + 1 :]
    # A fault in the last few characters, none of them closing anything, of a file whose
    # brackets never close: it was cut short.
    tail = text[exc.pos : end]
    truncated = (
        exc.pos >= end
        or unterminated
        or (len(tail) < 32 and not any(c in tail for c in "]}") and _brackets_left_open(text))
    )
    if truncated:
        return error(
            "truncated_json",
            f"JSON 在{where_zh}意外结束：文件不完整（被截断）",
            f"the JSON ends unexpectedly at {where_en}: the file is incomplete (truncated)",
        )
    zh, en = _JSON_MESSAGES.get(exc.msg, (exc.msg, exc.msg))
    return error(
        "broken_json", f"JSON 语法错误，{where_zh}：{zh}", f"broken JSON at {where_en}: {en}"
    )


def parse_geojson(data: bytes, limits: ReadLimits) -> RawLayer:
    text = decode_json_text(data)
    if not text.strip():
        raise file_error("empty_file", "文件只有空白字符", "the file contains only whitespace")
    depth = json_nesting_depth(data)
    if depth > limits.max_json_depth:
        raise file_error(
            "too_deep",
            f"JSON 嵌套过深（{depth} 层，上限 {limits.max_json_depth}）；不是正常的 GeoJSON",
            f"the JSON is nested too deeply ({depth} levels, the limit is "
            f"{limits.max_json_depth}); this is not ordinary GeoJSON",
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(_json_syntax_problem(exc, text)) from None
    except RecursionError:
        raise file_error("too_deep", "JSON 嵌套过深", "the JSON is nested too deeply") from None
    except ValueError:
        # Python refuses integers with thousands of digits.
        raise file_error(
            "number_too_long",
            "JSON 中有位数过多的数字",
            "the JSON contains a number with far too many digits",
        ) from None
    return _geojson_layer(document, limits)


def _geojson_layer(document: Any, limits: ReadLimits) -> RawLayer:
    if not isinstance(document, dict):
        zh, en = json_type(document)
        raise file_error(
            "not_geojson",
            f"最外层是{zh}；GeoJSON 必须是一个对象（FeatureCollection）",
            f"the top level is {en}; GeoJSON must be an object (a FeatureCollection)",
        )
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            zh, en = json_type(features)
            raise file_error(
                "bad_features",
                f'"features" 应为列表，实际是{zh}',
                f'"features" must be a list, found {en}',
            )
    elif kind == "Feature":
        features = [document]
    elif kind in GEOMETRY_TYPES:
        # A bare geometry, as some boundary downloads are; treat it as one feature.
        properties = document.get("properties")
        features = [
            {
                "type": "Feature",
                "geometry": document,
                "properties": properties if isinstance(properties, dict) else {},
            }
        ]
    elif kind is None:
        raise file_error(
            "not_geojson",
            '没有 "type" 成员；这个 JSON 不是 GeoJSON',
            'there is no "type" member; this JSON is not GeoJSON',
        )
    else:
        raise file_error(
            "not_geojson",
            f"未知的 GeoJSON 类型 {short(kind)}",
            f"unknown GeoJSON type {short(kind)}",
        )
    check_feature_count(len(features), limits)
    declared = _declared_geojson_crs(document.get("crs"))
    layer = RawLayer([], [], [], declared, "GeoJSON", lonlat_by_default=True)
    vertices = VertexBudget(limits.max_vertices)
    for index, feature in enumerate(features):
        _add_geojson_feature(layer, index, feature, vertices)
    return layer


_CRS84 = re.compile(r"(^|[:/])CRS:?84$", re.IGNORECASE)


_EPSG_CODE = re.compile(r"EPSG(?::+|/[\d.]+/|::?[\d.]*:)(\d+)$", re.IGNORECASE)


def _declared_geojson_crs(member: Any) -> CoordinateSystem | None:
    """The 2008 GeoJSON ``crs`` member GDAL still writes for non-WGS84 data."""
    if member is None:
        return None
    name = None
    if isinstance(member, dict) and isinstance(member.get("properties"), dict):
        name = member["properties"].get("name")
    if not isinstance(name, str):
        raise file_error(
            "bad_crs_member",
            f'"crs" 成员无法识别：{short(member)}；请用 --crs 指定坐标系',
            f'the "crs" member is not understood: {short(member)}; pass --crs',
        )
    if _CRS84.search(name.strip()):
        return WGS84
    match = _EPSG_CODE.search(name.strip())
    try:
        return parse_crs(f"EPSG:{match.group(1)}" if match else name)
    except UnknownCRSError:
        raise file_error(
            "unknown_file_crs",
            f"文件声明的坐标系 {short(name)} 无法识别；请用 --crs 指定",
            f"the file declares a coordinate system that is not known ({short(name)}); pass --crs",
        ) from None


def _feature_id(feature: dict, properties: dict) -> Any:
    value = properties.get("id")
    if value is None:
        value = feature.get("id")
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None


def _add_geojson_feature(layer: RawLayer, index: int, feature: Any, budget: VertexBudget) -> None:
    layer.fids.append(index)
    properties: dict[str, Any] = {}
    geometry: BaseGeometry | None = None
    try:
        if not isinstance(feature, dict):
            zh, en = json_type(feature)
            raise FeatureFault(
                "not_a_feature", f"是{zh}，不是 GeoJSON 要素对象", f"is {en}, not a GeoJSON Feature"
            )
        raw_properties = feature.get("properties")
        if isinstance(raw_properties, dict):
            properties = raw_properties
            # RFC 7946 keeps the id beside the properties; messages and output use it too.
            if properties.get("id") is None and _feature_id(feature, {}) is not None:
                properties = {**properties, "id": feature["id"]}
        elif raw_properties is not None:
            zh, en = json_type(raw_properties)
            raise FeatureFault(
                "bad_properties",
                f'"properties" 应为对象 {{…}}，实际是{zh}',
                f'"properties" must be an object {{…}}, found {en}',
            )
        if feature.get("type") != "Feature":
            raise FeatureFault(
                "not_a_feature",
                f'"type" 是 {short(feature.get("type"))}，应为 "Feature"',
                f'"type" is {short(feature.get("type"))}, expected "Feature"',
            )
        raw_geometry = feature.get("geometry")
        if raw_geometry is not None:
            geometry = build_geometry(raw_geometry, budget)
    except FeatureFault as fault:
        label = _label(
            _feature_id(feature, properties) if isinstance(feature, dict) else None, index
        )
        layer.problems.append(error(fault.code, fault.zh, fault.en, label))
        layer.unreadable_rows.add(index)
        geometry = None
    layer.properties.append(properties)
    layer.geometries.append(geometry)


def _label(feature_id: Any, fid: int) -> str:
    return str(feature_id) if feature_id is not None else f"#{fid}"
