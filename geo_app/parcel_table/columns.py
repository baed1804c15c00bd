"""Recognise which column of a planner's table holds which ledger field.

First by the column's name (Chinese, pinyin initials or English, in any case or width,
with or without a unit in brackets); then, for the fields still without a column, by the
values (a column of status words is the status, of town names the town, of dates the
date, of land-use names the use). Each field gets at most one column and each column
serves at most one field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from geo_app.parcel_table.mapping import Basis, ColumnMapping
from geo_app.parcel_table.values import parse_date, status_code, text_of, town_name, use_group
from geo_app.parcel_table.words import FIELDS, vocabulary

# Columns the reader or the product adds, never the planner's field.
_NOT_FIELDS = frozenset({"geometry", "geometry_property"})
# A column is taken for a field from its values when at least this share of its filled
# cells read as that field (and it has at least two filled cells).
VALUE_SHARE = 0.6
# Values looked at per column: enough to judge, cheap on large files.
VALUE_SAMPLE = 200

_VALUE_TESTS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("status", status_code),
    ("town", town_name),
    ("date", lambda v: parse_date(v) if _date_like(v) else None),
    ("use", use_group),
)


def _date_like(value: Any) -> bool:
    """Dates in text or date cells; a bare number is a date only when its column's name
    says so (an area in 平方米 can look like an Excel serial)."""
    return not isinstance(value, int | float) or isinstance(value, bool)


def recognise(frame: pd.DataFrame) -> ColumnMapping:
    """The mapping the file's column names and values suggest."""
    columns = [str(c) for c in frame.columns if str(c) not in _NOT_FIELDS]
    vocab = vocabulary()
    chosen: dict[str, str | None] = {}
    basis: dict[str, Basis] = {}
    used: set[str] = set()
    for name in FIELDS:
        candidates = [c for c in columns if c not in used and vocab.column_field(c) == name]
        if candidates:
            best = min(candidates, key=lambda c: vocab.column_rank(name, c))
            chosen[name], basis[name] = best, "name"
            used.add(best)
    for name, test in _VALUE_TESTS:
        if name in chosen:
            continue
        best_column, best_share = None, 0.0
        for column in columns:
            if column in used:
                continue
            share = _share(frame[column].tolist(), test)
            if share >= VALUE_SHARE and share > best_share:
                best_column, best_share = column, share
        if best_column is not None:
            chosen[name], basis[name] = best_column, "values"
            used.add(best_column)
    for name in FIELDS:
        chosen.setdefault(name, None)
    return ColumnMapping(chosen, basis)


def _share(values: Sequence[Any], test: Callable[[Any], Any]) -> float:
    filled = [v for v in values[:VALUE_SAMPLE] if text_of(v) is not None]
    if len(filled) < 2:
        return 0.0
    return sum(test(v) is not None for v in filled) / len(filled)


def applied(recognised: ColumnMapping, *overrides: ColumnMapping | None) -> ColumnMapping:
    """The recognised mapping with each override laid over it in turn (later ones win); a
    column named by an override that the file lacks is refused."""
    result = recognised
    for override in overrides:
        if override is not None:
            result = result.overridden(override)
    return result


def missing_columns(mapping: ColumnMapping, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(field, column) pairs whose column the file does not have."""
    present = {str(c) for c in frame.columns}
    return [
        (name, column)
        for name, column in mapping.columns.items()
        if column is not None and column not in present
    ]
