"""GeoJSON parsed with :mod:`json`, for precise messages about broken documents.

The nesting depth is measured before parsing, so a hostile document of 100,000 nested
arrays is refused in milliseconds instead of exhausting the parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from geo_app.crs import WGS84, CoordinateSystem, UnknownCRSError, parse_crs
from geo_app.problems import InputError, Problem, error, words
from geo_app.reading.base import (
    RawLayer,
    ReadLimits,
    VertexBudget,
    check_feature_count,
    file_error,
    json_type,
    short,
)
from geo_app.reading.geojson_geometry import (
    GEOMETRY_TYPES,
    FeatureFault,
    build_geometry,
    polygons_at_once,
)

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
        raise file_error("not_utf8.utf16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise file_error("not_utf8.bytes", line=line) from None


# The json module's reasons, and the words (under problem_words.json_syntax) that explain them.
_JSON_SYNTAX: dict[str, str] = {
    "Expecting value": "value_expected",
    "Expecting ',' delimiter": "comma_missing",
    "Expecting ':' delimiter": "colon_missing",
    "Expecting property name enclosed in double quotes": "name_expected",
    "Unterminated string starting at": "unterminated_text",
    "Invalid control character at": "control_character",
    "Invalid \\escape": "invalid_escape",
    "Extra data": "extra_data",
}


def _brackets_left_open(text: str) -> bool:
    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', text.encode("utf-8")), dtype=np.uint8)
    opens = np.count_nonzero((skeleton == ord("[")) | (skeleton == ord("{")))
    closes = np.count_nonzero((skeleton == ord("]")) | (skeleton == ord("}")))
    return opens > closes


def _json_syntax_problem(exc: json.JSONDecodeError, text: str) -> Problem:
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
        return error("truncated_json", line=exc.lineno, column=exc.colno)
    syntax = _JSON_SYNTAX.get(exc.msg)
    # A reason the json module may add later is shown as it gives it.
    reason = words(f"json_syntax.{syntax}") if syntax else exc.msg
    return error("broken_json", line=exc.lineno, column=exc.colno, reason=reason)


def parse_geojson(data: bytes, limits: ReadLimits) -> RawLayer:
    text = decode_json_text(data)
    if not text.strip():
        raise file_error("empty_file.whitespace")
    depth = json_nesting_depth(data)
    if depth > limits.max_json_depth:
        raise file_error("too_deep.measured", depth=depth, limit=limits.max_json_depth)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(_json_syntax_problem(exc, text)) from None
    except RecursionError:
        raise file_error("too_deep.parser") from None
    except ValueError:
        # Python refuses integers with thousands of digits.
        raise file_error("number_too_long") from None
    return _geojson_layer(document, limits)


def _geojson_layer(document: Any, limits: ReadLimits) -> RawLayer:
    if not isinstance(document, dict):
        raise file_error("not_geojson.top_level", found=json_type(document))
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise file_error("bad_features", found=json_type(features))
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
        raise file_error("not_geojson.no_type")
    else:
        raise file_error("not_geojson.unknown_type", kind=short(kind))
    check_feature_count(len(features), limits)
    declared = _declared_geojson_crs(document.get("crs"))
    layer = RawLayer([], [], [], declared, "GeoJSON", lonlat_by_default=True)
    vertices = VertexBudget(limits.max_vertices)
    faults: dict[int, Problem] = {}
    raw_geometries = [
        _add_geojson_feature(layer, index, feature, faults)
        for index, feature in enumerate(features)
    ]
    # Well-formed polygons in a few array calls; every other geometry one by one, which
    # also says precisely what is wrong with one that cannot be used.
    layer.geometries, others = polygons_at_once(raw_geometries, vertices)
    for index in others:
        if raw_geometries[index] is None:
            continue
        try:
            layer.geometries[index] = build_geometry(raw_geometries[index], vertices)
        except FeatureFault as fault:
            feature = features[index]
            label = _label(_feature_id(feature, layer.properties[index]), index)
            faults[index] = fault.problem.with_feature(label)
    for index in sorted(faults):
        layer.problems.append(faults[index])
        layer.unreadable_rows.add(index)
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
        raise file_error("bad_crs_member", member=short(member))
    if _CRS84.search(name.strip()):
        return WGS84
    match = _EPSG_CODE.search(name.strip())
    try:
        return parse_crs(f"EPSG:{match.group(1)}" if match else name)
    except UnknownCRSError:
        raise file_error("unknown_file_crs.declared", name=short(name)) from None


def _feature_id(feature: dict, properties: dict) -> Any:
    value = properties.get("id")
    if value is None:
        value = feature.get("id")
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None


def _add_geojson_feature(
    layer: RawLayer, index: int, feature: Any, faults: dict[int, Problem]
) -> Any:
    """Add the feature's id and properties; its raw geometry to build (None: it has none,
    or the feature itself is unusable and its fault is in ``faults``)."""
    layer.fids.append(index)
    properties: dict[str, Any] = {}
    raw_geometry = None
    try:
        if not isinstance(feature, dict):
            raise FeatureFault("not_a_feature.kind", found=json_type(feature))
        raw_properties = feature.get("properties")
        if isinstance(raw_properties, dict):
            properties = raw_properties
            # RFC 7946 keeps the id beside the properties; messages and output use it too.
            if properties.get("id") is None and _feature_id(feature, {}) is not None:
                properties = {**properties, "id": feature["id"]}
        elif raw_properties is not None:
            raise FeatureFault("bad_properties", found=json_type(raw_properties))
        if feature.get("type") != "Feature":
            raise FeatureFault("not_a_feature.type", kind=short(feature.get("type")))
        raw_geometry = feature.get("geometry")
    except FeatureFault as fault:
        label = _label(
            _feature_id(feature, properties) if isinstance(feature, dict) else None, index
        )
        faults[index] = fault.problem.with_feature(label)
        raw_geometry = None
    layer.properties.append(properties)
    return raw_geometry


def _label(feature_id: Any, fid: int) -> str:
    return str(feature_id) if feature_id is not None else f"#{fid}"
