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
from collections.abc import Callable, Sequence
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
    # Each row's ellipsoidal hectares (:func:`geo_app.geodesy.hectares`), NaN where the
    # row has no geometry to measure.
    hectares: np.ndarray


def understand(
    frame: pd.DataFrame,
    geometries: Sequence[BaseGeometry | None],
    mapping: ColumnMapping,
    *,
    stem: str,
    town_areas: Any = None,
    own_plane: np.ndarray | None = None,
) -> UnderstoodTable:
    """The ledger properties of each row of ``frame`` (lon/lat ``geometries`` beside it).

    ``town_areas``: a catalog whose town areas place parcels of a file without a town
    column (see :func:`geo_app.parcel_table.places.towns_at`); None leaves their town unknown.
    ``own_plane``: each row's GK zone-42 plane hectares when the file gave them without a
    conversion (:meth:`geo_app.reading.VectorData.own_plane_hectares`).
    """
    found = Understanding(mapping=mapping, rows=len(frame), stem=stem)
    # Each row's own cells become its properties, the product's fields added in place.
    rows = _original_records(frame)
    declared_column = mapping.column("declared_area")
    declared_raw = (None if declared_column is None
                    else [row.get(declared_column) for row in rows])
    geoms = np.asarray(list(geometries), dtype=object)
    measurable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    ellipsoidal = np.full(len(geoms), np.nan)
    if measurable.any():
        ellipsoidal[measurable] = hectares(geoms[measurable])

    column = mapping.column
    # A ledger repeats a handful of statuses, towns, uses and dates thousands of times:
    # each distinct cell is read once.
    status_of = _Cached(lambda v: (text_of(v), status_code(v, mapping.statuses)))
    town_of = _Cached(lambda v: (text_of(v), town_name(v)))
    use_of = _Cached(lambda v: (text_of(v), use_group(v)))
    date_of = _Cached(lambda v: (text_of(v), parse_date(v)))
    quarter_of_cell = _Cached(parse_quarter)
    id_column, name_column = column("id") or "", column("name") or ""
    status_column, town_column = column("status") or "", column("town") or ""
    use_column, date_column = column("use") or "", column("date") or ""
    quarter_column = column("quarter") or ""
    for row, props in enumerate(rows):
        # Every cell is read before any product field is written into the same row.
        get = props.get
        id_cell, name_cell, status_cell = get(id_column), get(name_column), get(status_column)
        town_cell, date_cell, quarter_cell = get(town_column), get(date_column), get(
            quarter_column)
        use_cell = get(use_column)
        _set(props, "id", text_of(id_cell))
        if props.get("id") is None:
            props["id"] = f"{stem}-{row + 1}"
            found.numbered_ids += 1
        _set(props, "name_zh", text_of(name_cell))
        _status(props, status_of(status_cell), found)
        _town(props, town_of(town_cell), found)
        _when(props, date_of(date_cell), quarter_cell, quarter_of_cell, found)
        _use(props, use_of(use_cell), found)
    if column("town") is None and town_areas is not None:
        _derive_towns(rows, geoms, measurable, town_areas, found)
    if declared_raw is not None:
        _declared_areas(rows, declared_raw, geoms, measurable, ellipsoidal, own_plane,
                        mapping, found)
    return UnderstoodTable(rows, found, ellipsoidal)


def _original_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's non-blank cells as plain values (dates as ISO text), under the column's
    own name, in the file's column order."""
    attributes = frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
    if hasattr(frame, "geometry") and frame.geometry.name in attributes.columns:
        attributes = attributes.drop(columns=frame.geometry.name)
    names = [str(name) for name in attributes.columns]
    # Column by column: a column's cells share a type, and a whole column is converted in
    # one call rather than a hundred thousand rows each building a dict of every column.
    columns = [_kept_cells(attributes.iloc[:, position]) for position in range(len(names))]
    if not names or len(set(names)) < len(names):
        records: list[dict[str, Any]] = [{} for _ in range(len(attributes))]
        for key, cells in zip(names, columns, strict=True):
            for record, value in zip(records, cells, strict=True):
                if value is not _BLANK:
                    record[key] = value
        return records
    # Every row's dict made at once, in column order; the blank cells then taken out.
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    for key, cells in zip(names, columns, strict=True):
        if any(value is _BLANK for value in cells):
            for record, value in zip(records, cells, strict=True):
                if value is _BLANK:
                    del record[key]
    return records


# A blank cell: kept out of the row (None is a value a cell may not hold here).
_BLANK = object()


def _kept_cells(column: pd.Series) -> list[Any]:
    """The column's cells as plain values, ``_BLANK`` where a cell says nothing."""
    dtype = column.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        # Numbers: only a missing one is blank.
        blank = column.isna().to_numpy(dtype=bool)
        values = column.tolist()
        if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
            # NumPy's floats, integers and booleans come out as Python's own: plain already.
            return [_BLANK if b else v for v, b in zip(values, blank, strict=True)]
        return [_BLANK if b else plain(v) for v, b in zip(values, blank, strict=True)]
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
        # Text: each distinct value is read once (a ledger's statuses and towns repeat
        # thousands of times); the cell keeps the planner's own text.
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        blank_unique = np.array([text_of(u) is None for u in uniques] + [True], dtype=bool)
        blank = blank_unique[codes]  # code -1 (missing) takes the last entry: blank
        return [_BLANK if b else v for v, b in zip(column.tolist(), blank, strict=True)]
    cells = []
    for value in column.tolist():
        value = plain(value)
        if isinstance(value, dt.date):
            value = value.isoformat()
        cells.append(_BLANK if text_of(value) is None else value)
    return cells


class _Cached:
    """``function`` of a cell, computed once per distinct cell value."""

    def __init__(self, function: Callable[[Any], Any]):
        self.function = function
        self.known: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        try:
            # The type is in the key: 1, 1.0 and True are equal but read differently.
            key = (type(value), value)
            if key in self.known:
                return self.known[key]
        except TypeError:  # an unhashable cell (a list from a JSON file)
            return self.function(value)
        result = self.known[key] = self.function(value)
        return result


def _set(props: dict[str, Any], name: str, value: Any) -> None:
    """Store the product's ``name`` (None: leave it out), keeping a planner's column of
    that name if it differs."""
    before = props.get(name)
    if before is not None and value is not None and str(before) != str(value):
        props.setdefault(name + ORIGINAL_SUFFIX, before)
    if before is not None and value is None and name not in ("id", "name_zh"):
        props.setdefault(name + ORIGINAL_SUFFIX, before)
    if value is None:
        props.pop(name, None)
    else:
        props[name] = value


def _status(props: dict[str, Any], read: tuple[str | None, str | None],
            found: Understanding) -> None:
    text, code = read
    if text is not None and code is None:
        found.unknown_statuses[text] += 1
    _set(props, "status", code)


def _town(props: dict[str, Any], read: tuple[str | None, str | None],
          found: Understanding) -> None:
    text, name = read
    if text is not None and name is None:
        found.unknown_towns[text] += 1
    _set(props, "town", name)


def _when(
    props: dict[str, Any],
    read: tuple[str | None, dt.date | None],
    quarter_value: Any,
    quarter_of_cell: Callable[[Any], str | None],
    found: Understanding,
) -> None:
    text, day = read
    if day is not None:
        _set(props, "date", day.isoformat())
        _set(props, "month", f"{day.year:04d}-{day.month:02d}")
        _set(props, "quarter", quarter_of(day.year, day.month))
        return
    if text is not None:
        found.unreadable_dates[text] += 1
    _set(props, "quarter", quarter_of_cell(quarter_value) if quarter_value is not None else None)


def _use(props: dict[str, Any], read: tuple[str | None, tuple[str, str | None] | None],
         found: Understanding) -> None:
    text, placed = read
    if text is None:
        _set(props, "use", None)
        return
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
    raw: list[Any],
    geoms: np.ndarray,
    measurable: np.ndarray,
    ellipsoidal: np.ndarray,
    own_plane: np.ndarray | None,
    mapping: ColumnMapping,
    found: Understanding,
) -> None:
    column = mapping.column("declared_area") or ""
    # A ledger's declared figures repeat (four decimals of a few hectares): each distinct
    # one is read once.
    number_of, decimals_in = _Cached(_number_or_nan), _Cached(decimals_of)
    declared = np.array([number_of(v) for v in raw])
    unit, basis = _unit(column, raw, declared, ellipsoidal, mapping)
    found.area_unit, found.area_unit_basis = unit, basis
    if unit is None:
        return
    per_unit = vocabulary().unit_hectares[unit]
    compare = measurable & np.isfinite(declared) & (ellipsoidal > 0)
    plane = np.full(len(geoms), np.nan)
    if compare.any():
        plane[compare] = (plane_hectares(geoms[compare]) if own_plane is None
                          else own_plane[compare])
    for row in np.flatnonzero(np.isfinite(declared)):
        declared_ha = float(declared[row]) * per_unit
        rows[row]["declared_ha"] = round(declared_ha, 6)
        rows[row]["declared_unit"] = unit
        if not compare[row]:
            continue
        found.areas_compared += 1
        measured, flat = float(ellipsoidal[row]), float(plane[row])
        closest = min(abs(declared_ha - measured), abs(declared_ha - flat))
        decimals = decimals_in(raw[row])
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
