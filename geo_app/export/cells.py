"""Spreadsheet cells that are only ever values (OWASP "CSV injection").

Excel, WPS and LibreOffice read a text cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula: a parcel named
``=cmd|' /C calc'!A0`` would run when the table is opened. Such text is written with a
leading single quote, which the programs show as text. Only text is touched: numbers,
negative ones included, stay numbers. Headers are cells too (the bureau's column names come
from its files), so they get the same treatment.

XLSX cannot hold some control characters at all (openpyxl refuses them); they are removed
from XLSX text rather than failing the export.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from geo_app.parcel_table.planner_columns import free_name

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
T = TypeVar("T")


def spreadsheet_text(value: T) -> T | str:
    """``value``, or a text that could be read as a formula with a quote before it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def xlsx_text(value: T) -> T | str:
    """:func:`spreadsheet_text` after removing what XLSX cannot hold; removal comes first,
    so a formula hidden behind a control character is caught too."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return spreadsheet_text(value)


def safe_table(table: pd.DataFrame, clean: Callable[[object], object] = spreadsheet_text
               ) -> pd.DataFrame:
    """``table`` with every text cell and header passed through ``clean``; headers stay
    unique (a cleaned one that meets another is renamed as a planner's column would be)."""
    out = table.copy()
    for index in range(out.shape[1]):
        series = out.iloc[:, index]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            out.isetitem(index, series.map(clean).astype(object))
    headers: list[str] = []
    for header in out.columns:
        headers.append(free_name(str(clean(str(header))), headers.__contains__))
    out.columns = headers
    return out


def values_only(worksheet: Worksheet) -> None:
    """Make sure no cell of ``worksheet`` is a formula: openpyxl stores any text that
    starts with ``=`` as one. The cleaned tables have none; this keeps it so whatever
    writes a cell."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
