"""The attribute-table tab: every feature of a layer, searchable, a row selecting its feature.

A workspace can hold 100,000 parcels, so the browser never gets the whole table: the
search runs here on the server, the page shows one page of the matching rows with the
count of matches, and the whole result is a CSV download made only when it is asked for.
The table of a layer file, with its search text, is built once per version of the file
and shared by every visitor.
"""

from __future__ import annotations

import io
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app_parts import (
    page_data,
)
from app_parts.page import (
    SELECTED,
    TABLE_FILTER,
    TABLE_GRID,
    TABLE_IDS,
    TABLE_LAYER,
    Page,
    select,
)
from geo_app.catalog import LayerSpec, load_layer_geojson
from geo_app.export.data import write_csv
from geo_app.ledger import filter_key
from geo_app.mapview import (
    ParcelFilter,
)
from geo_app.values import is_missing

# Rows sent to the browser at a time: a page of a 100,000-row table is a few tens of KB.
PAGE_ROWS = 200
TABLE_PAGE = "table_page"
TABLE_DOWNLOAD = "table_download"
# The feature last selected when the tab was drawn: a new one turns to its page.
TABLE_SEEN = "table_seen_selected"
# Between the columns of a row's search text; a search for it finds nothing across columns.
SEPARATOR = "\x1f"
# Layer files whose tables are kept, shared by every visitor: the parcels' and one other.
# A table of 100,000 parcels with its search text is a few hundred MB, so an edit's new
# version pushes the oldest out rather than piling up.
KEPT_TABLES = 2
# The sidebar's filter keys, as the ledger reads them (``geo_app.ledger.filter_key``).
FILTER_FIELDS = ("status", "town", "quarter")


@dataclass(frozen=True)
class LayerTable:
    """A layer's attribute table with what searching and filtering it needs, built once."""

    frame: pd.DataFrame
    # Per row, every cell as case-folded text, joined by SEPARATOR.
    search_text: np.ndarray
    # Per row, the ledger's filter key of status, town and quarter.
    filter_keys: dict[str, np.ndarray]


def build_table(collection: dict[str, Any]) -> LayerTable:
    """The table of a FeatureCollection (as :func:`page_data.feature_table`) and its search
    text, one pass over its columns."""
    frame = page_data.feature_table(collection)
    columns = [_search_texts(frame.iloc[:, index]) for index in range(frame.shape[1])]
    text = np.empty(len(frame), dtype=object)
    text[:] = [SEPARATOR.join(row) for row in zip(*columns, strict=True)] if columns else ""
    keys = {
        field: _each_cell(frame[field], filter_key)
        if field in frame.columns else np.full(len(frame), filter_key(None), dtype=object)
        for field in FILTER_FIELDS
    }
    return LayerTable(frame, text, keys)


def _search_texts(column: pd.Series) -> list[str]:
    """Each cell as the search reads it: case-folded text, a missing cell none at all
    (never "nan"), whatever the column's dtype."""
    if _is_text(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = np.array([*(u.casefold().replace(SEPARATOR, " ") for u in uniques.tolist()),
                          ""], dtype=object)
        return texts[codes].tolist()  # a missing cell (code -1) takes the last entry
    return ["" if is_missing(v) else str(v).casefold().replace(SEPARATOR, " ")
            for v in column.tolist()]


def _is_text(column: pd.Series) -> bool:
    """A column of text alone (with missing cells), not of mixed values."""
    return pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(
        column.dtype)


def _each_cell(column: pd.Series, function: Callable[[Any], Any]) -> np.ndarray:
    """``function`` of each cell of ``column``. A text column (statuses, towns, dates
    repeated thousands of times) is read once per distinct value; a column of mixed
    values cell by cell, since 1, 1.0 and True are equal but read differently."""
    if _is_text(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        # A missing cell (code -1) takes the last entry.
        results = np.empty(len(uniques) + 1, dtype=object)
        results[:] = [*map(function, uniques.tolist()), function(None)]
        return results[codes]
    results = np.empty(len(column), dtype=object)
    results[:] = list(map(function, column.tolist()))
    return results


_TABLES: OrderedDict[tuple[str, int, int], LayerTable] = OrderedDict()
_TABLES_LOCK = Lock()


def layer_table(spec: LayerSpec) -> LayerTable:
    """The layer's table, built once per version of its file (path, time, size)."""
    stat = spec.path.stat()
    key = (str(spec.path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _TABLES_LOCK:
        if key in _TABLES:
            _TABLES.move_to_end(key)
            return _TABLES[key]
    table = build_table(load_layer_geojson(spec))
    with _TABLES_LOCK:
        _TABLES[key] = table
        while len(_TABLES) > KEPT_TABLES:
            _TABLES.popitem(last=False)
    return table


def matching_rows(table: LayerTable, text: str,
                  parcel_filter: ParcelFilter | None = None) -> np.ndarray:
    """Positions of the rows the filter keeps (None: all) in which any cell contains
    ``text`` (case-insensitive; blank text: every row)."""
    keep = np.ones(len(table.frame), dtype=bool)
    if parcel_filter is not None and not parcel_filter.is_empty:
        for field, allowed in (("status", parcel_filter.statuses),
                               ("town", parcel_filter.towns),
                               ("quarter", parcel_filter.quarters)):
            if allowed is not None:
                keep &= np.isin(table.filter_keys[field], list(allowed))
    needle = text.strip().casefold().replace(SEPARATOR, " ")
    if needle:
        keep &= np.fromiter((needle in row for row in table.search_text), dtype=bool,
                            count=len(table.search_text))
    return np.flatnonzero(keep)


def page_count(matches: int) -> int:
    return max(1, math.ceil(matches / PAGE_ROWS))


def page_of(rows: np.ndarray, page: int) -> np.ndarray:
    """The positions shown on ``page`` (1-based) of the matching ``rows``."""
    start = (min(max(page, 1), page_count(len(rows))) - 1) * PAGE_ROWS
    return rows[start:start + PAGE_ROWS]


def matches_csv(table: LayerTable, rows: np.ndarray) -> bytes:
    """Every matching row, every column, as the CSV exports write it (UTF-8 with a
    byte-order mark for Excel, no cell readable as a formula), a batch at a time."""
    def batches():
        for start in range(0, max(len(rows), 1), 5000):
            yield table.frame.iloc[rows[start:start + 5000]]

    buffer = io.BytesIO()
    write_csv(batches(), buffer)
    return buffer.getvalue()


def _on_table_pick() -> None:
    rows = st.session_state[TABLE_GRID].selection.rows
    ids = st.session_state.get(TABLE_IDS, [])
    if rows and rows[0] < len(ids):
        # The page the row is on stays: the selection is not a new one to turn to.
        st.session_state[TABLE_SEEN] = ids[rows[0]]
        select(ids[rows[0]])


def _turn_to_selected(table: LayerTable, rows: np.ndarray) -> None:
    """When a feature was newly selected (on the map), show the page that holds it."""
    selected = st.session_state.get(SELECTED)
    if selected == st.session_state.get(TABLE_SEEN):
        return
    st.session_state[TABLE_SEEN] = selected
    if selected is None or "id" not in table.frame.columns:
        return
    found = np.flatnonzero(table.frame["id"].to_numpy()[rows] == selected)
    if len(found):
        st.session_state[TABLE_PAGE] = int(found[0]) // PAGE_ROWS + 1


def draw(page: Page, parcel_filter: ParcelFilter) -> None:
    catalog = page.catalog
    if st.session_state.get(TABLE_LAYER) not in catalog.ids():
        st.session_state[TABLE_LAYER] = page.data.parcel_layer
    layer_id = st.selectbox(
        page.t("app.table.layer"), catalog.ids(), key=TABLE_LAYER,
        format_func=lambda i: catalog.layer(i).name(page.lang),
    )
    table = layer_table(catalog.layer(layer_id))
    text = st.text_input(page.t("app.table.filter"), key=TABLE_FILTER)
    chosen = parcel_filter if layer_id == page.data.parcel_layer else None
    rows = matching_rows(table, text, chosen)
    pages = page_count(len(rows))
    _turn_to_selected(table, rows)
    current = st.session_state.get(TABLE_PAGE)
    if not isinstance(current, int) or not 1 <= current <= pages:
        st.session_state[TABLE_PAGE] = 1
    shown_rows = page_of(rows, int(st.session_state[TABLE_PAGE]))
    first = int(shown_rows.size and (int(st.session_state[TABLE_PAGE]) - 1) * PAGE_ROWS + 1)
    st.caption(page.t("app.table_pages.count", matches=len(rows), total=len(table.frame),
                      first=first, last=first + len(shown_rows) - 1 if len(shown_rows) else 0))
    shown = table.frame.iloc[shown_rows].reset_index(drop=True)
    st.session_state[TABLE_IDS] = list(shown["id"]) if "id" in shown.columns else []
    selected_row = page_data.row_of_feature(shown, st.session_state.get(SELECTED))
    styled: Any = shown
    if selected_row is not None:
        styled = shown.style.apply(
            lambda row: ["background-color: #fff3b0" if row.name == selected_row else ""]
            * len(row),
            axis=1,
        )
    st.dataframe(
        styled, key=TABLE_GRID, on_select=_on_table_pick, selection_mode="single-row",
        hide_index=True, width="stretch",
    )
    pager, download = st.columns(2)
    pager.number_input(page.t("app.table_pages.page", pages=pages), min_value=1,
                       max_value=pages, step=1, key=TABLE_PAGE)
    name = catalog.layer(layer_id).id
    download.download_button(
        page.t("app.table_pages.download", matches=len(rows)),
        # Made when the button is pressed, on its own thread: a rerun never pays for it.
        data=lambda: matches_csv(table, rows),
        file_name=f"{name}-{len(rows)}.csv", mime="text/csv", key=TABLE_DOWNLOAD,
        on_click="ignore", icon=":material/download:",
    )
