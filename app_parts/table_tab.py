"""The attribute-table tab: every feature of a layer, searchable, a row selecting its feature."""

from __future__ import annotations

from typing import Any

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
from geo_app.catalog import load_layer_geojson
from geo_app.mapview import (
    ParcelFilter,
)


def _on_table_pick() -> None:
    rows = st.session_state[TABLE_GRID].selection.rows
    ids = st.session_state.get(TABLE_IDS, [])
    if rows and rows[0] < len(ids):
        select(ids[rows[0]])


def draw(page: Page, parcel_filter: ParcelFilter) -> None:
    catalog = page.catalog
    if st.session_state.get(TABLE_LAYER) not in catalog.ids():
        st.session_state[TABLE_LAYER] = page.data.parcel_layer
    layer_id = st.selectbox(
        page.t("app.table.layer"), catalog.ids(), key=TABLE_LAYER,
        format_func=lambda i: catalog.layer(i).name(page.lang),
    )
    collection = load_layer_geojson(catalog.layer(layer_id))
    if layer_id == page.data.parcel_layer and not parcel_filter.is_empty:
        collection["features"] = [
            f for f in collection["features"] if parcel_filter.matches(f["properties"])
        ]
    table = page_data.feature_table(collection)
    text = st.text_input(page.t("app.table.filter"), key=TABLE_FILTER)
    shown = page_data.filter_table(table, text).reset_index(drop=True)
    st.caption(page.t("app.table.count", shown=len(shown), total=len(table)))
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


# ----------------------------------------------------------------------- the page
