"""Turn a planner's parcel table into ledger parcels, keeping every column they gave.

Each row keeps the planner's own columns under their own names and gains the product's
fields beside them: ``id``, ``name_zh``, ``status`` (a code), ``town`` (the NBS name),
``date`` / ``month`` / ``quarter``, ``use`` (the use group) with ``use_zh`` (the planner's
text) and ``use_code`` (a class code of the 2023 classification, when given), and, where
the file declares an area, ``declared_ha`` with ``area_check`` (``ok`` or ``mismatch``).
What a cell says that cannot be placed is kept as written and counted in the
:class:`Understanding`, never dropped: such a parcel counts as unknown in that breakdown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.geodesy import hectares, plane_hectares
from geo_app.parcel_table.mapping import ColumnMapping
from geo_app.parcel_table.values import (
    decimals_of,
    parse_date,
    parse_number,
    parse_quarter,
    quarter_of,
    status_code,
    text_of,
    town_name,
    unit_in_text,
    use_group,
)
from geo_app.parcel_table.words import vocabulary
from geo_app.reading.base import plain

# The product's own fields; a planner's column of the same name whose value the product
# rewrites is kept beside it under ``<name>`` + the vocabulary's ``original_suffix``.
PRODUCT_FIELDS = frozenset(
    {
        "id", "name_zh", "status", "town", "town_derived", "date", "month", "quarter", "use",
        "use_zh", "use_code", "declared_ha", "declared_unit", "area_check", "area_diff_pct",
    }
)
ORIGINAL_SUFFIX = vocabulary().original_suffix

# Declared and measured areas differ by projection (the Gauss-Krüger plane area is about
# 1e-4 off the ellipsoidal one here), by the coordinates' rounding and by the declared
# figure's own rounding; surveys (TD/T 1001-2012) allow far less than 1 % on parcels of a
# hectare or more. A difference beyond 1 % (or beyond the declared figure's last written
# digit, for small parcels) is not rounding: the parcel is flagged.
AREA_TOLERANCE = 0.01
# The declared unit is read from the ratio of declared to measured area when neither the
# planner nor the column name says it: within this factor of 1 (ha), 15 (亩) or 10,000 (m²).
UNIT_RATIO_SLACK = 1.6
AREA_MISMATCH = "mismatch"
AREA_OK = "ok"


@dataclass(frozen=True)
class FlaggedArea:
    parcel: str
    declared_ha: float
    ellipsoidal_ha: float
    plane_ha: float

    @property
    def difference(self) -> float:
        """(declared − ellipsoidal) / ellipsoidal."""
        return (self.declared_ha - self.ellipsoidal_ha) / self.ellipsoidal_ha


@dataclass
class Understanding:
    """What was made of the table: the mapping used, and what could not be placed."""

    mapping: ColumnMapping
    rows: int = 0
    # The file's name without its suffix: parcels without an id are numbered after it.
    stem: str = ""
    unknown_statuses: Counter[str] = field(default_factory=Counter)
    unknown_towns: Counter[str] = field(default_factory=Counter)
    unreadable_dates: Counter[str] = field(default_factory=Counter)
    unplaced_uses: Counter[str] = field(default_factory=Counter)
    towns_derived: int = 0
    numbered_ids: int = 0
    area_unit: str | None = None
    # How the unit was known: "planner", "name", "values" or "ratio"; None without one.
    area_unit_basis: str | None = None
    areas_compared: int = 0
    flagged: list[FlaggedArea] = field(default_factory=list)


@dataclass(frozen=True)
class UnderstoodTable:
    properties: list[dict[str, Any]]
    understanding: Understanding


def understand(
    frame: pd.DataFrame,
    geometries: Sequence[BaseGeometry | None],
    mapping: ColumnMapping,
    *,
    stem: str,
    town_areas: Any = None,
) -> UnderstoodTable:
    """The ledger properties of each row of ``frame`` (lon/lat ``geometries`` beside it).

    ``town_areas``: a catalog whose town areas place parcels of a file without a town
    column (see :func:`geo_app.parcel_table.places.towns_at`); None leaves their town unknown.
    """
    found = Understanding(mapping=mapping, rows=len(frame), stem=stem)
    records = _original_records(frame)
    rows = [dict(record) for record in records]
    geoms = np.asarray(list(geometries), dtype=object)
    measurable = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    ellipsoidal = np.full(len(geoms), np.nan)
    if measurable.any():
        ellipsoidal[measurable] = hectares(geoms[measurable])

    column = mapping.column
    for row, (record, props) in enumerate(zip(records, rows, strict=True)):
        _set(props, "id", text_of(record.get(column("id") or "")))
        if props.get("id") is None:
            props["id"] = f"{stem}-{row + 1}"
            found.numbered_ids += 1
        _set(props, "name_zh", text_of(record.get(column("name") or "")))
        _status(props, record.get(column("status") or ""), mapping, found, ellipsoidal[row])
        _town(props, record.get(column("town") or ""), found)
        _when(props, record, mapping, found)
        _use(props, record.get(column("use") or ""), found)
    if column("town") is None and town_areas is not None:
        _derive_towns(rows, geoms, measurable, town_areas, found)
    if column("declared_area") is not None:
        _declared_areas(rows, records, geoms, measurable, ellipsoidal, mapping, found)
    return UnderstoodTable([_without_none(props) for props in rows], found)


def _original_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's non-blank cells as plain values (dates as ISO text), under the column's
    own name."""
    attributes = frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
    if hasattr(frame, "geometry") and frame.geometry.name in attributes.columns:
        attributes = attributes.drop(columns=frame.geometry.name)
    records = []
    for record in attributes.to_dict("records"):
        kept = {}
        for key, value in record.items():
            value = plain(value)
            if isinstance(value, dt.date | dt.datetime):
                value = value.isoformat()
            if text_of(value) is not None:
                kept[str(key)] = value
        records.append(kept)
    return records


def _set(props: dict[str, Any], name: str, value: Any) -> None:
    """Store the product's ``name``, keeping a planner's column of that name if it differs."""
    before = props.get(name)
    if before is not None and value is not None and str(before) != str(value):
        props.setdefault(name + ORIGINAL_SUFFIX, before)
    if before is not None and value is None and name not in ("id", "name_zh"):
        props.setdefault(name + ORIGINAL_SUFFIX, before)
    props[name] = value


def _without_none(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


def _status(
    props: dict[str, Any], value: Any, mapping: ColumnMapping, found: Understanding,
    hectares_of_row: float,
) -> None:
    text = text_of(value)
    code = status_code(value, mapping.statuses)
    if text is not None and code is None:
        found.unknown_statuses[text] += 1
    _set(props, "status", code)


def _town(props: dict[str, Any], value: Any, found: Understanding) -> None:
    text = text_of(value)
    name = town_name(value)
    if text is not None and name is None:
        found.unknown_towns[text] += 1
    _set(props, "town", name)


def _when(
    props: dict[str, Any], record: dict[str, Any], mapping: ColumnMapping, found: Understanding
) -> None:
    date_value = record.get(mapping.column("date") or "")
    day = parse_date(date_value)
    if day is not None:
        _set(props, "date", day.isoformat())
        _set(props, "month", f"{day.year:04d}-{day.month:02d}")
        _set(props, "quarter", quarter_of(day.year, day.month))
        return
    if text_of(date_value) is not None:
        found.unreadable_dates[str(text_of(date_value))] += 1
    quarter_value = record.get(mapping.column("quarter") or "")
    _set(props, "quarter", parse_quarter(quarter_value) if quarter_value is not None else None)


def _use(props: dict[str, Any], value: Any, found: Understanding) -> None:
    text = text_of(value)
    if text is None:
        _set(props, "use", None)
        return
    placed = use_group(value)
    if placed is None:
        found.unplaced_uses[text] += 1
        # The planner's own words stay the use: their breakdown keeps them apart.
        props["use"] = text
        props.setdefault("use_zh", text)
        return
    group, class_code = placed
    own = props.get("use")
    if own is not None and str(own) != group:
        props.setdefault("use" + ORIGINAL_SUFFIX, own)
    props["use"] = group
    if class_code is not None:
        props["use_code"] = class_code
    if text != group and ("use_zh" not in props or props["use_zh"] == own):
        props["use_zh"] = text


def _derive_towns(
    rows: list[dict[str, Any]],
    geoms: np.ndarray,
    measurable: np.ndarray,
    town_areas: Any,
    found: Understanding,
) -> None:
    from geo_app.parcel_table.places import towns_at

    # An invalid shape (refused by the checks anyway) cannot be intersected with the areas.
    rows_at = np.flatnonzero(measurable & shapely.is_valid(geoms))
    for row, town in zip(rows_at, towns_at(list(geoms[rows_at]), town_areas), strict=True):
        if town is not None:
            rows[row]["town"] = town
            rows[row]["town_derived"] = True
            found.towns_derived += 1


def _declared_areas(
    rows: list[dict[str, Any]],
    records: list[dict[str, Any]],
    geoms: np.ndarray,
    measurable: np.ndarray,
    ellipsoidal: np.ndarray,
    mapping: ColumnMapping,
    found: Understanding,
) -> None:
    column = mapping.column("declared_area") or ""
    raw = [records[row].get(column) for row in range(len(rows))]
    declared = np.array([_number_or_nan(v) for v in raw])
    unit, basis = _unit(column, raw, declared, ellipsoidal, mapping)
    found.area_unit, found.area_unit_basis = unit, basis
    if unit is None:
        return
    per_unit = vocabulary().unit_hectares[unit]
    compare = measurable & np.isfinite(declared) & (ellipsoidal > 0)
    plane = np.full(len(geoms), np.nan)
    if compare.any():
        plane[compare] = plane_hectares(geoms[compare])
    for row in np.flatnonzero(np.isfinite(declared)):
        declared_ha = float(declared[row]) * per_unit
        rows[row]["declared_ha"] = round(declared_ha, 6)
        rows[row]["declared_unit"] = unit
        if not compare[row]:
            continue
        found.areas_compared += 1
        measured, flat = float(ellipsoidal[row]), float(plane[row])
        closest = min(abs(declared_ha - measured), abs(declared_ha - flat))
        decimals = decimals_of(raw[row])
        rounding = 0.5 * 10 ** -(decimals or 0) * per_unit if decimals is not None else 0.0
        allowed = max(AREA_TOLERANCE * measured, rounding)
        # + 0.0: a rounded -0.0 would print as "-0.0".
        rows[row]["area_diff_pct"] = round(100 * (declared_ha - measured) / measured, 2) + 0.0
        if closest > allowed:
            rows[row]["area_check"] = AREA_MISMATCH
            found.flagged.append(FlaggedArea(str(rows[row]["id"]), declared_ha, measured, flat))
        else:
            rows[row]["area_check"] = AREA_OK


def _number_or_nan(value: Any) -> float:
    number = parse_number(value)
    return math.nan if number is None else number


def _unit(
    column: str,
    raw: list[Any],
    declared: np.ndarray,
    ellipsoidal: np.ndarray,
    mapping: ColumnMapping,
) -> tuple[str | None, str | None]:
    if mapping.area_unit:
        return mapping.area_unit, "planner"
    named = unit_in_text(column)
    if named:
        return named, "name"
    in_values = Counter(
        u for v in raw if isinstance(v, str) and (u := unit_in_text(v)) is not None
    )
    if in_values:
        return in_values.most_common(1)[0][0], "values"
    both = np.isfinite(declared) & np.isfinite(ellipsoidal) & (ellipsoidal > 0) & (declared > 0)
    if not both.any():
        return None, None
    ratio = float(np.median(declared[both] / ellipsoidal[both]))
    for unit, per_unit in vocabulary().unit_hectares.items():
        expected = 1.0 / per_unit
        if expected / UNIT_RATIO_SLACK <= ratio <= expected * UNIT_RATIO_SLACK:
            return unit, "ratio"
    return None, None
