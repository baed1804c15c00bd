"""The land-supply tab: totals against the target, breakdowns, the year's progress, the
parcel list and the import panels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app_parts import (
    compliance_tab,
    import_history,
    import_panel,
    page_data,
    sign_in,
)
from app_parts.page import (
    PROGRESS_YEAR,
    Page,
)
from geo_app.ledger import UNKNOWN, LandSupplyLedger, filter_key
from geo_app.mapview.popups import feature_name
from geo_app.progress import MONTHS, YearProgress, year_progress


def draw(page: Page, ledger: LandSupplyLedger, filtered: bool) -> None:
    whole = page.data.ledger
    if whole.sample_data:
        st.warning(page.t("app.land.sample"))
    if sign_in.may("import"):
        import_panel.render(page.strings, page.lang)
        import_history.render(page.strings, page.lang)
    if filtered:
        st.info(page.t("app.filter.active"))
    current, target, whole_column = st.columns(3)
    gap = (
        page.t("app.land.gap", value=page_data.format_hectares(ledger.gap_ha))
        if ledger.gap_ha > 0
        else page.t("app.land.reached")
    )
    current.metric(
        page.t("app.land.total_filtered" if filtered else "app.land.total_all"),
        page_data.format_hectares(ledger.total_ha),
        delta=gap,
        delta_color="inverse" if ledger.gap_ha > 0 else "normal",
    )
    target.metric(page.t("app.land.target"), page_data.format_hectares(ledger.target_ha))
    if filtered:
        whole_column.metric(page.t("app.land.total_all"), page_data.format_hectares(whole.total_ha))
    else:
        whole_column.metric(page.t("app.land.count"), whole.parcel_count)
    share = ledger.total_ha / ledger.target_ha if ledger.target_ha > 0 else 0.0
    st.progress(
        min(max(share, 0.0), 1.0),
        text=page.t("app.land.progress", percent=f"{share * 100:.1f}",
                    count=ledger.parcel_count),
    )
    st.caption(page.t("app.land.method"))
    conflicts = compliance_tab.conflict_lines(page, ledger)
    if conflicts is not None:
        shown = st.warning if conflicts[0].hectares > 0 else st.success
        shown(conflicts[1])
    if ledger.parcel_count == 0:
        st.info(page.t("app.land.empty"))
        return
    category, hectares = page.t("app.column.category"), page.t("app.column.hectares")
    breakdowns = (
        ("app.land.by_status", ledger.by_status, lambda v: page.choice("parcel.status", v)),
        ("app.land.by_town", ledger.by_town, lambda v: page.choice("town", v)),
        ("app.land.by_use", ledger.by_use, _use_labeler(page, ledger)),
        ("app.land.by_quarter", ledger.by_quarter, lambda v: page.choice("quarter", v)),
    )
    for row in (breakdowns[:2], breakdowns[2:]):
        for column, (title, totals, label) in zip(st.columns(2), row, strict=True):
            with column:
                st.markdown(f"**{page.t(title)}**")
                frame = page_data.breakdown_frame(totals, label, category, hectares)
                st.bar_chart(frame, horizontal=True, height=220)
                st.dataframe(frame, width="stretch", column_config={
                    hectares: st.column_config.NumberColumn(format="%.2f")
                })
    _progress_section(page, ledger)
    st.markdown(f"**{page.t('app.land.parcels')}**")
    st.dataframe(_parcel_list(page, ledger), width="stretch", hide_index=True,
                 column_config={
                     page.t("app.column.hectares"): st.column_config.NumberColumn(format="%.2f")
                 })


def _progress_section(page: Page, ledger: LandSupplyLedger) -> None:
    """Supplied hectares month by month in one year against the target, and what the chart
    leaves out (parcels without a supply date), so the figure is never silently smaller."""
    st.markdown(f"**{page.t('app.progress.title')}**")
    progress = year_progress(ledger.parcels, ledger.target_ha)
    if not progress.has_dates:
        st.info(page.t("app.progress.empty", count=progress.undated_count,
                       hectares=page_data.format_hectares(progress.undated_ha)))
        return
    if len(progress.years) > 1:
        # A year kept from before that the filters or an edit have since emptied falls back
        # to the default one; the widget must start from a year it offers.
        if st.session_state.get(PROGRESS_YEAR) not in progress.years:
            st.session_state[PROGRESS_YEAR] = progress.year
        year = st.selectbox(page.t("app.progress.year"), progress.years, key=PROGRESS_YEAR,
                            width=160)
        if year != progress.year:
            progress = year_progress(ledger.parcels, ledger.target_ha, year)
    st.altair_chart(_progress_chart(page, progress), width="stretch")
    target = page_data.format_number(progress.target_ha, page.lang)
    total = page_data.format_hectares(progress.total_ha)
    if progress.reached_month is not None:
        summary = page.t("app.progress.reached", year=progress.year, target=target, total=total,
                         month=page.t(f"app.progress.month.{progress.reached_month}"))
    else:
        summary = page.t("app.progress.not_reached", year=progress.year, target=target,
                         total=total, gap=page_data.format_hectares(progress.gap_ha))
    supplied_only = page.t("app.progress.supplied_only",
                           supplied=page.choice("parcel.status", "supplied"))
    st.caption(f"{summary} {supplied_only}")
    if progress.undated_count:
        st.caption(page.t(
            "app.progress.undated", count=progress.undated_count,
            hectares=page_data.format_hectares(progress.undated_ha),
            supplied=progress.undated_supplied_count,
            supplied_ha=page_data.format_hectares(progress.undated_supplied_ha),
        ))


def _progress_chart(page: Page, progress: YearProgress) -> Any:
    """Cumulative supplied hectares by month as a line, each month's as bars, and the target
    as a dashed rule; one colour legend names all three in the page's language."""
    # Imported here: the first paint draws no chart and should not wait for Altair.
    import altair as alt

    months = [page.t(f"app.progress.month.{month}") for month in MONTHS]
    monthly = page.t("app.progress.series.monthly")
    cumulative = page.t("app.progress.series.cumulative")
    target = page.t("app.progress.series.target",
                    target=page_data.format_number(progress.target_ha, page.lang))
    month_title, hectares_title = page.t("app.progress.axis.month"), page.t(
        "app.progress.axis.hectares")
    frame = progress.frame()
    data = pd.DataFrame({
        "month": months * 2,
        "series": [monthly] * len(months) + [cumulative] * len(months),
        "hectares": [*frame["supplied_ha"].round(2), *frame["cumulative_ha"].round(2)],
    })
    # Room above the higher of the target and the year's total, so the rule always shows.
    top = max(progress.target_ha, progress.total_ha, 1.0) * 1.1
    x = alt.X("month:N", sort=months, title=month_title, axis=alt.Axis(labelAngle=0))
    y = alt.Y("hectares:Q", title=hectares_title, scale=alt.Scale(domain=[0, top]))
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=[monthly, cumulative, target],
                        range=["#9ecae1", "#08519c", "#d62728"]),
        legend=alt.Legend(title=None, orient="top"),
    )
    tooltip = [
        alt.Tooltip("month:N", title=month_title),
        alt.Tooltip("series:N", title=page.t("app.column.category")),
        alt.Tooltip("hectares:Q", title=hectares_title, format=",.2f"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, color=color, tooltip=tooltip)
    bars = base.transform_filter(alt.FieldEqualPredicate(field="series", equal=monthly))
    line = base.transform_filter(alt.FieldEqualPredicate(field="series", equal=cumulative))
    rule = alt.Chart(pd.DataFrame({"hectares": [progress.target_ha], "series": [target]}))
    return alt.layer(
        bars.mark_bar(),
        line.mark_line(point=True, strokeWidth=2.5),
        rule.mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
            y="hectares:Q", color=color,
            tooltip=[alt.Tooltip("series:N", title=page.t("app.column.category"))],
        ),
    ).properties(
        title=page.t("app.progress.chart_title", year=progress.year), height=420,
    )


def _use_labeler(page: Page, ledger: LandSupplyLedger) -> Callable[[str], str]:
    chinese = ledger.use_labels()

    def label(use: str) -> str:
        if f"parcel.use.{use}" in page.strings or use == UNKNOWN:
            return page.choice("parcel.use", use)
        return chinese.get(use, use) if page.lang == "zh" else use

    return label


def _parcel_list(page: Page, ledger: LandSupplyLedger) -> pd.DataFrame:
    parcels = ledger.parcels
    column = lambda name: page.t(f"app.column.{name}")  # noqa: E731
    use = _use_labeler(page, ledger)
    rows = []
    for _, row in parcels.iterrows():
        properties = row.to_dict()
        rows.append({
            column("id"): properties.get("id"),
            column("name"): feature_name(properties, page.lang),
            # The ledger's own grouping, so the list reads as the breakdowns above it do.
            column("status"): page.choice("parcel.status", filter_key(properties.get("status"))),
            column("use"): use(filter_key(properties.get("use"))),
            column("town"): page.choice("town", filter_key(properties.get("town"))),
            column("quarter"): page.choice("quarter", filter_key(properties.get("quarter"))),
            column("hectares"): round(float(properties["hectares"]), 2),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------- targets tab
