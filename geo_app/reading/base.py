"""What every reader shares: the limits, the raw layer, and file-level errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem
from geo_app.problems import InputError, Problem, Words, error, words


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_features: int = 20_000
    max_vertices: int = 2_000_000
    # A FeatureCollection of polygons nests 6 deep; collections of collections a little more.
    max_json_depth: int = 64
    max_unzipped_bytes: int = 200 * 1024 * 1024


DEFAULT_LIMITS = ReadLimits()


CrsOrigin = Literal["file", "option", "default", "assumed"]


@dataclass
class RawLayer:
    """Features as found in the file, in the file's own coordinates."""

    geometries: list[BaseGeometry | None]
    properties: list[dict[str, Any]]
    fids: list[int]
    declared_crs: CoordinateSystem | None
    format_name: str
    # RFC 7946: GeoJSON without a ``crs`` member is WGS84 lon/lat by definition.
    lonlat_by_default: bool
    problems: list[Problem] = field(default_factory=list)
    unreadable_rows: set[int] = field(default_factory=set)


def file_error(name: str, /, **values: Any) -> InputError:
    """The error ``problem.<name>`` about the whole file, ready to raise."""
    return InputError(error(name, **values))


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_feature_count(count: int, limits: ReadLimits) -> None:
    if count > limits.max_features:
        raise file_error(
            "too_many_features", count=f"{count:,}", limit=f"{limits.max_features:,}"
        )


class VertexBudget:
    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise file_error("too_many_vertices", limit=f"{self.limit:,}")


def json_type(value: Any) -> Words:
    """What kind of JSON value ``value`` is, in words."""
    return words(f"json_type.{_json_kind(value)}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "object"


def short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value: Any) -> Any:
    """Attribute values as plain Python, so they print and serialise as JSON."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
