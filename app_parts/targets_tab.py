"""The plan-targets tab: measured targets, targets our drawings only sketch, and those no
map can measure."""

from __future__ import annotations

import streamlit as st

from app_parts import (
    page_data,
)
from app_parts.page import (
    Page,
    table_height,
)


def draw(page: Page) -> None:
    """Measured targets, targets our drawings only sketch, and those no map can measure:
    a count of our own drawings is never shown as progress (no outcome share)."""
    measurements = page.data.targets
    groups = page_data.target_groups(measurements)
    st.caption(page.t("app.targets.intro_honest", total=len(measurements),
                      measured=len(groups.measured), drawn=len(groups.drawn),
                      others=len(groups.others)))
    column = lambda name: page.t(f"app.targets.column.{name}")  # noqa: E731
    if groups.measured:
        st.markdown(f"**{page.t('app.targets.measured_title')}**")
        frame = page_data.target_rows(groups.measured, page.catalog, page.strings, page.lang)
        st.dataframe(
            frame, width="stretch", hide_index=True, height=table_height(len(frame)),
            column_config={column("share"): st.column_config.ProgressColumn(
                format="%.1f%%", min_value=0, max_value=100,
            )},
        )
    if groups.drawn:
        st.markdown(f"**{page.t('app.targets.drawn_title')}**")
        frame = page_data.target_rows(groups.drawn, page.catalog, page.strings, page.lang)
        frame = frame.drop(columns=[column("share")])
        st.dataframe(frame, width="stretch", hide_index=True, height=table_height(len(frame)))
    if groups.others:
        st.markdown(f"**{page.t('app.targets.others_title')}**")
        frame = page_data.target_rows(groups.others, page.catalog, page.strings, page.lang)
        frame = frame.drop(columns=[column("measured"), column("share"), column("outcome")])
        frame = frame.rename(columns={column("method"): column("why_not")})
        st.dataframe(frame, width="stretch", hide_index=True)
