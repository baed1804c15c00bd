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
import unicodedata
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
    own_names = frozenset(_attribute_names(frame))

    def cells(field_name: str) -> list[Any]:
        name = column(field_name)
        return [None] * len(rows) if name is None else [props.get(name) for props in rows]

    # Every cell is read before any product field is written into the rows. A ledger
    # repeats a handful of statuses, towns, uses and dates thousands of times: each
    # distinct cell is read once, and the product's fields are written a field at a time.
    ids, names = _texts(cells("id")), _texts(cells("name"))
    statuses = _Distinct(cells("status"), lambda v: (text_of(v), status_code(v, mapping.statuses)))
    towns = _Distinct(cells("town"), lambda v: (text_of(v), town_name(v)))
    uses = _Distinct(cells("use"), lambda v: (text_of(v), use_group(v)))
    dates = _Distinct(cells("date"), _date_fields)
    quarters = _Distinct(cells("quarter"), parse_quarter)

    numbered = [row for row, value in enumerate(ids) if value is None]
    for row in numbered:
        ids[row] = f"{stem}-{row + 1}"
    found.numbered_ids = len(numbered)
    _put(rows, "id", ids, own_names)
    _put(rows, "name_zh", names, own_names)

    for (text, code), count in statuses.counted():
        if text is not None and code is None:
            found.unknown_statuses[text] += count
    _put(rows, "status", statuses.each(lambda read: read[1]), own_names)

    for (text, name), count in towns.counted():
        if text is not None and name is None:
            found.unknown_towns[text] += count
    _put(rows, "town", towns.each(lambda read: read[1]), own_names)

    for (text, day, _month, _quarter), count in dates.counted():
        if text is not None and day is None:
            found.unreadable_dates[text] += count
    # A row without a readable date keeps its own date and month, and takes the quarter
    # its quarter column gives (or none).
    read_dates = dates.each()
    _put(rows, "date", [d[1] or _UNTOUCHED for d in read_dates], own_names)
    _put(rows, "month", [d[2] or _UNTOUCHED for d in read_dates], own_names)
    _put(rows, "quarter", [d[3] if d[1] else q for d, q in zip(
        read_dates, quarters.each(), strict=True)], own_names)

    for props, read in zip(rows, uses.each(), strict=True):
        _use(props, read, found)
    if column("town") is None and town_areas is not None:
        _derive_towns(rows, geoms, measurable, town_areas, found)
    if declared_raw is not None:
        _declared_areas(rows, declared_raw, geoms, measurable, ellipsoidal, own_plane,
                        mapping, found)
    return UnderstoodTable(rows, found, ellipsoidal)


def _original_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's non-blank cells as plain values (dates as ISO text), under the column's
    own name, in the file's column order."""
    attributes = _attributes(frame)
    names = _attribute_names(frame)
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
        if _BLANK in cells:
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
            if not blank.any():
                return values
            # NumPy's floats, integers and booleans come out as Python's own: plain already.
            return [_BLANK if b else v for v, b in zip(values, blank, strict=True)]
        return [_BLANK if b else plain(v) for v, b in zip(values, blank, strict=True)]
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
        # Text: each distinct value is read once (a ledger's statuses and towns repeat
        # thousands of times); the cell keeps the planner's own text.
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        # Text says nothing (text_of is None) exactly when nothing is left once spaces
        # are stripped: NFKC turns no other character into a space.
        blank_unique = np.array([not u.strip() for u in uniques.tolist()] + [True], dtype=bool)
        blank = blank_unique[codes]  # code -1 (missing) takes the last entry: blank
        if not blank.any():
            return column.tolist()
        return [_BLANK if b else v for v, b in zip(column.tolist(), blank, strict=True)]
    cells = []
    for value in column.tolist():
        value = plain(value)
        if isinstance(value, dt.date):
            value = value.isoformat()
        cells.append(_BLANK if text_of(value) is None else value)
    return cells


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's own columns, without its geometry."""
    attributes = frame.drop(columns=[c for c in ("geometry",) if c in frame.columns])
    if hasattr(frame, "geometry") and frame.geometry.name in attributes.columns:
        attributes = attributes.drop(columns=frame.geometry.name)
    return attributes


def _attribute_names(frame: pd.DataFrame) -> list[str]:
    """The planner's column names, as each row's properties carry them."""
    return [str(name) for name in _attributes(frame).columns]


def _texts(cells: list[Any]) -> list[str | None]:
    """Each cell as :func:`text_of` reads it, text (ids, names) without a call per cell."""
    normalize = unicodedata.normalize
    return [
        text_of(cell) if type(cell) is not str
        else (cell.strip() or None) if cell.isascii()
        else (normalize("NFKC", cell).strip() or None) if cell.strip() else None
        for cell in cells
    ]


class _Distinct:
    """A column's cells read once per distinct value: ``read`` of the first cell of each."""

    def __init__(self, cells: list[Any], read: Callable[[Any], Any]):
        self.codes, self.distinct = _distinct_cells(cells)
        self.readings = [read(cell) for cell in self.distinct]

    def each(self, part: Callable[[Any], Any] = lambda reading: reading) -> list[Any]:
        """Each row's reading (or ``part`` of it)."""
        parts = [part(reading) for reading in self.readings]
        return [parts[code] for code in self.codes]

    def counts(self) -> list[int]:
        """How many rows hold each distinct cell."""
        counts = Counter(self.codes)
        return [counts[code] for code in range(len(self.distinct))]

    def counted(self) -> list[tuple[Any, int]]:
        """Each distinct reading with the number of rows that gave it."""
        return list(zip(self.readings, self.counts(), strict=True))


def _distinct_cells(cells: list[Any]) -> tuple[list[int], list[Any]]:
    """Each cell's number among the distinct cells, and the distinct cells in order."""
    kinds = set(map(type, cells)) - {type(None)}
    if len(kinds) == 1 and kinds <= {str, int, float}:
        # Cells of one plain kind (blank ones aside): numbered in one call.
        codes, uniques = pd.factorize(np.array(cells, dtype=object), use_na_sentinel=True)
        codes[codes < 0] = len(uniques)  # a blank cell: the last distinct one, None
        return codes.tolist(), [*uniques.tolist(), None]
    try:
        # The type is in the key: 1, 1.0 and True are equal but read differently.
        index: dict[tuple[type, Any], int] = {}
        codes_of = [index.setdefault((type(cell), cell), len(index)) for cell in cells]
        return codes_of, [cell for _, cell in index]
    except TypeError:  # an unhashable cell (a list from a JSON file): each read alone
        return list(range(len(cells))), list(cells)


def _date_fields(cell: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """A date cell's text, and its day, month and quarter when it reads as a date."""
    text, day = text_of(cell), parse_date(cell)
    if day is None:
        return text, None, None, None
    return (text, day.isoformat(), f"{day.year:04d}-{day.month:02d}",
            quarter_of(day.year, day.month))


# A row whose product field stays as the planner's row has it.
_UNTOUCHED = object()


def _put(rows: list[dict[str, Any]], name: str, values: list[Any],
         own_names: frozenset[str]) -> None:
    """Store the product's ``name`` in each row, as :func:`_set` does; a row whose value
    is ``_UNTOUCHED`` is left as it is."""
    if name in own_names:
        for props, value in zip(rows, values, strict=True):
            if value is not _UNTOUCHED:
                _set(props, name, value)
        return
    # No column of the planner's has the name: there is nothing to keep beside it.
    for props, value in zip(rows, values, strict=True):
        if value is not None and value is not _UNTOUCHED:
            props[name] = value


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
    cells = _Distinct(raw, lambda v: (_number_or_nan(v), decimals_of(v)))
    declared = np.array(cells.each(lambda read: read[0]), dtype=float)
    unit, basis = _unit(column, cells, declared, ellipsoidal, mapping)
    found.area_unit, found.area_unit_basis = unit, basis
    if unit is None:
        return
    per_unit = vocabulary().unit_hectares[unit]
    given = np.isfinite(declared)
    compare = measurable & given & (ellipsoidal > 0)
    plane = np.full(len(geoms), np.nan)
    if compare.any():
        plane[compare] = (plane_hectares(geoms[compare]) if own_plane is None
                          else own_plane[compare])
    declared_ha = declared * per_unit
    for row, value in zip(np.flatnonzero(given).tolist(), declared_ha[given].tolist(),
                          strict=True):
        rows[row]["declared_ha"] = round(value, 6)
        rows[row]["declared_unit"] = unit
    found.areas_compared = int(compare.sum())
    if not found.areas_compared:
        return
    # Compared a column at a time: the rows with a declared figure and a measured area.
    at = np.flatnonzero(compare)
    ha, measured, flat = declared_ha[at], ellipsoidal[at], plane[at]
    closest = np.minimum(np.abs(ha - measured), np.abs(ha - flat))
    # The declared figure's own rounding: half its last written digit (none: no slack).
    decimals = np.array(cells.each(lambda read: np.nan if read[1] is None else read[1]),
                        dtype=float)[at]
    rounding = np.where(np.isnan(decimals), 0.0,
                        0.5 * 10.0 ** -np.nan_to_num(decimals) * per_unit)
    mismatch = closest > np.maximum(AREA_TOLERANCE * measured, rounding)
    differences = (100 * (ha - measured) / measured).tolist()
    for row, difference, flagged in zip(at.tolist(), differences, mismatch.tolist(),
                                        strict=True):
        props = rows[row]
        # + 0.0: a rounded -0.0 would print as "-0.0".
        props["area_diff_pct"] = round(difference, 2) + 0.0
        props["area_check"] = AREA_MISMATCH if flagged else AREA_OK
    found.flagged = [
        FlaggedArea(str(rows[row]["id"]), float(declared_ha[row]), float(ellipsoidal[row]),
                    float(plane[row]))
        for row in at[mismatch].tolist()
    ]


def _number_or_nan(value: Any) -> float:
    number = parse_number(value)
    return math.nan if number is None else number


def _unit(
    column: str,
    cells: _Distinct,
    declared: np.ndarray,
    ellipsoidal: np.ndarray,
    mapping: ColumnMapping,
) -> tuple[str | None, str | None]:
    if mapping.area_unit:
        return mapping.area_unit, "planner"
    named = unit_in_text(column)
    if named:
        return named, "name"
    in_values: Counter[str] = Counter()
    for cell, count in zip(cells.distinct, cells.counts(), strict=True):
        if isinstance(cell, str) and (unit := unit_in_text(cell)) is not None:
            in_values[unit] += count
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
