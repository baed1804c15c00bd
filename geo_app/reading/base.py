"""What every reader shares: the limits, the raw layer, and file-level errors."""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem
from geo_app.problems import InputError, KeyedError, Problem, Words, error, words

MB = 1024 * 1024


@dataclass(frozen=True)
class LimitSetting:
    """A reading limit a planner may change: the :class:`ReadLimits` field, the environment
    variable that sets it, and the variable's unit in bytes (1 for counts)."""

    field: str
    variable: str
    unit: int = 1


# The one list of the limits a planner may raise (or lower). When a variable is set it is
# the limit for every file read, parcels and reference layers alike; unset, the readers'
# own limits hold. The JSON depth and the zip-bomb checks are protections, not sizes, and
# are not settings.
LIMIT_SETTINGS: tuple[LimitSetting, ...] = (
    LimitSetting("max_file_bytes", "GEO_APP_MAX_FILE_MB", MB),
    LimitSetting("max_features", "GEO_APP_MAX_FEATURES"),
    LimitSetting("max_vertices", "GEO_APP_MAX_VERTICES"),
    LimitSetting("max_unzipped_bytes", "GEO_APP_MAX_UNZIPPED_MB", MB),
)
_SETTING_OF = {setting.field: setting for setting in LIMIT_SETTINGS}


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file the readers take on, bounded by what memory holds.

    A parcel file costs about 9 KB of memory per parcel while it is read, checked and
    imported (20 vertices and a bureau's columns each; measured under the import worker's
    settings: 100,000 parcels peak at 1.1 GB resident and 1.5 GB of address space, each
    further 50,000 add about 0.43 GB). The defaults keep a file at every limit at once
    within the 2 GB of address space the app's import worker may use (:mod:`geo_app.jobs`);
    the settings in :data:`LIMIT_SETTINGS` raise them for bigger files on a machine with
    more memory to give.
    """

    max_file_bytes: int = 150 * MB
    max_features: int = 120_000
    max_vertices: int = 3_000_000
    # A FeatureCollection of polygons nests 6 deep; collections of collections a little more.
    max_json_depth: int = 64
    max_unzipped_bytes: int = 400 * MB

    def configured(self, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """These limits with each one whose variable is set (:data:`LIMIT_SETTINGS`)
        replaced by the setting; an unusable setting raises :class:`LimitSettingError`."""
        environ = os.environ if environ is None else environ
        changes = {}
        for setting in LIMIT_SETTINGS:
            text = environ.get(setting.variable, "").strip()
            if text:
                changes[setting.field] = _setting_value(setting, text)
        return replace(self, **changes) if changes else self


DEFAULT_LIMITS = ReadLimits()


class LimitSettingError(KeyedError):
    """A reading-limit variable holds something other than a whole number above zero."""


def _setting_value(setting: LimitSetting, text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        unit = words("limit_unit.megabytes" if setting.unit > 1 else "limit_unit.count")
        raise LimitSettingError(
            "reading.limit_setting_unusable", variable=setting.variable, value=text[:40],
            unit=unit,
        )
    return value * setting.unit


def over_limit(name: str, field: str, /, **values: Any) -> InputError:
    """The error ``problem.<name>`` about a file past the limit ``field``, naming the
    variable that changes that limit."""
    problem = error(name, **values).noted(
        "limit_setting", variable=_SETTING_OF[field].variable
    )
    return InputError(problem)


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
    # The attributes column by column (plain values, one list per column), when a reader
    # has them so (GDAL files); ``properties`` is then left empty.
    columns: dict[str, list[Any]] | None = None

    def id_values(self) -> list[Any]:
        """Each feature's ``id`` attribute (None where it has none)."""
        if self.columns is not None:
            return list(self.columns.get("id", [None] * len(self.fids)))
        return [properties.get("id") for properties in self.properties]

    def attribute_frame(self) -> pd.DataFrame:
        """The attributes as a frame, one row per feature, index 0..n-1."""
        if self.columns is not None:
            return pd.DataFrame(self.columns, index=range(len(self.fids)))
        return pd.DataFrame.from_records(self.properties, index=range(len(self.properties)))


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cycle collector held off while a reader builds millions of small objects
    that hold no cycles (parsed JSON, geometries, rows): each of its passes walks every
    object made so far, which tripled the time of parsing a 100,000-parcel GeoJSON."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def file_error(name: str, /, **values: Any) -> InputError:
    """The error ``problem.<name>`` about the whole file, ready to raise."""
    return InputError(error(name, **values))


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_feature_count(count: int, limits: ReadLimits) -> None:
    if count > limits.max_features:
        raise over_limit(
            "too_many_features", "max_features", count=f"{count:,}",
            limit=f"{limits.max_features:,}",
        )


class VertexBudget:
    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise over_limit("too_many_vertices", "max_vertices", limit=f"{self.limit:,}")


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
