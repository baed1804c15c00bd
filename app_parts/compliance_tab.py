"""The compliance tab (合规检查): every parcel against the control lines the planners loaded,
the panel that loads them, and the control-line data the rest of the page shares (the map's
reference layers and conflict pieces, the headline's hectares in conflict).

The check runs once per state of the parcels and of the reference layers, whoever asks
first; later runs, and every other planner's page, take it from the cache (keyed by the
workspace's parcel copy, which changes with every change of a parcel, and by the reference
layers' change mark). A click on a row selects the parcel and opens the map on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from app_parts import page_data, reference_panel, sign_in
from app_parts.page import SELECTED, TAB, Page, select
from app_parts.page_data import ConflictFigures, ControlState
from geo_app.control import kinds
from geo_app.ledger import LandSupplyLedger
from geo_app.mapview.references import ControlOverlay, control_overlay
from geo_app.problems import InputError
from geo_app.workspace import Workspace, configured_place, place_from_argument

ONLY_CONFLICTS = "compliance_only_conflicts"
GRID = "compliance_grid"
# The parcel ids of the table's rows, in the order shown.
IDS = "compliance_ids"
KEPT_KEYS = frozenset({ONLY_CONFLICTS}) | reference_panel.KEPT_KEYS
SELECTED_ROW = "background-color: #fff3b0"


# ----------------------------------------------------------------------- shared data


def _inputs(page: Page) -> tuple[str, str, tuple] | None:
    """Where the workspace is (as a worker is told it: never a database's password), its
    parcels' mark and its reference layers' mark; None when the workspace cannot be used
    (the page already says why). The parcels' layer file is named after the workspace's
    place, so two databases never share a cached check."""
    try:
        place = configured_place()
        token = page_data.control_token(Workspace.at(place))
    except (InputError, OSError):
        return None
    parcels = str(page.data.catalog.layer(page.data.parcel_layer).path)
    return place.as_argument(), parcels, token


def _opened(place_argument: str) -> Workspace:
    return Workspace.at(place_from_argument(place_argument))


@st.cache_resource(show_spinner=False, max_entries=4)
def _state(place_argument: str, parcels: str, token: tuple) -> ControlState:
    del parcels, token  # part of the cache key only
    return page_data.control_state(_opened(place_argument))


@st.cache_resource(show_spinner=False, max_entries=4)
def _overlay(place_argument: str, parcels: str, token: tuple, datum: str) -> ControlOverlay:
    state = _state(place_argument, parcels, token)
    return control_overlay(_opened(place_argument), state.parcel_geometries,
                           state.check, datum=datum)


def control_state(page: Page) -> ControlState | None:
    """The check of the workspace's parcels against its reference layers (cached)."""
    found = _inputs(page)
    if found is None:
        return None
    return _state(*found)


def map_overlay(page: Page, datum: str) -> ControlOverlay | None:
    """The reference layers and conflict pieces the map draws; None when no layer is
    loaded."""
    found = _inputs(page)
    if found is None or not found[2][1]:
        return None
    return _overlay(*found, datum)


def conflict_lines(page: Page, ledger: LandSupplyLedger) -> tuple[ConflictFigures, str] | None:
    """The hectares of ``ledger``'s parcels in conflict, and the line that says it (with the
    kinds not checked); None when no reference layer is loaded."""
    state = control_state(page)
    if state is None or state.check is None:
        return None
    figures = page_data.conflict_figures(state, _ids(ledger))
    if figures is None:
        return None
    share = "—" if figures.total_ha <= 0 else f"{figures.share * 100:.1f}%"
    line = page.t("app.headline.conflict_note", hectares=page_data.format_hectares(
        figures.hectares), share=share, count=figures.parcels,
        total=page_data.format_hectares(figures.total_ha))
    missing = _not_checked(page, state)
    if missing:
        line += " " + page.t("app.compliance.not_checked", kinds=missing)
    return figures, line


def _ids(ledger: LandSupplyLedger) -> list[str]:
    parcels = ledger.parcels
    return [str(v) for v in parcels["id"]] if "id" in parcels.columns else []


def _not_checked(page: Page, state: ControlState) -> str:
    separator = page.t("problem_words.list_separator")
    return separator.join(kinds()[key].label(page.lang) for key in state.not_checked)


# ----------------------------------------------------------------------- the tab


def _names(ledger: LandSupplyLedger, lang: str) -> dict[str, str]:
    parcels = ledger.parcels
    if parcels.empty or "id" not in parcels.columns:
        return {}
    order = ["name_en", "name_zh"] if lang == "en" else ["name_zh", "name_en"]
    names = pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    for column in order:
        if column in parcels.columns:
            names = names.where(names.notna() & (names != ""), parcels[column])
    names = names.where(names.notna() & (names != ""), parcels["id"])
    return dict(zip(parcels["id"].astype(str), names.astype(str), strict=True))


def _on_pick(map_tab: str) -> None:
    """A row chosen: select its parcel and open the map (the tab labelled ``map_tab``) on
    it, zoomed to the parcel."""
    rows = st.session_state[GRID].selection.rows
    ids = st.session_state.get(IDS, [])
    if rows and rows[0] < len(ids):
        select(ids[rows[0]])
        st.session_state[TAB] = map_tab


def draw(page: Page, ledger: LandSupplyLedger, filtered: bool) -> None:
    if sign_in.may("reference"):
        reference_panel.render(page.t)
    state = control_state(page)
    if state is None:
        return
    if state.check is None:
        st.info(page.t("app.compliance.no_layers"))
        return
    _layers_line(page, state)
    if filtered:
        st.info(page.t("app.filter.active"))
    _summary(page, state, _ids(ledger))
    only = st.checkbox(page.t("app.compliance.only_conflicts"), key=ONLY_CONFLICTS)
    table = page_data.compliance_table(state, _names(ledger, page.lang), page.strings,
                                       page.lang, _ids(ledger), only_conflicts=only)
    ids = list(table.iloc[:, 0]) if len(table) else []
    st.session_state[IDS] = ids
    st.caption(page.t("app.compliance.count", shown=len(table),
                      total=len(_ids(ledger))) + " " + page.t("app.compliance.pick_help"))
    _table(page, table, ids)
    st.caption(page.t("app.compliance.rules", minimum=f"{kinds().min_conflict_m2:g}"))


def _layers_line(page: Page, state: ControlState) -> None:
    checked = page.t("problem_words.list_separator").join(
        reference_panel.layer_label(page.t, layer.kind, layer.name) for layer in state.layers)
    # Layer names are the planners' own text: shown as text, never as Markdown.
    st.text(page.t("app.compliance.checked", layers=checked))
    missing = _not_checked(page, state)
    if missing:
        st.warning(page_data.escape_markdown(page.t("app.compliance.not_checked",
                                                    kinds=missing)))


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4f}"


def _summary(page: Page, state: ControlState, ids: Iterable[str]) -> None:
    figures = page_data.conflict_figures(state, ids)
    if figures is None:
        return
    wanted = set(ids)
    chosen = [p for p in state.check.parcels if p.parcel_id in wanted]

    def total(attribute: str) -> float | None:
        values = [getattr(p, attribute) for p in chosen]
        known = [v for v in values if v is not None]
        return float(sum(known)) if known else (None if values else 0.0)

    items = [
        ("app.compliance.metric.parcels", f"{figures.parcels} / {len(chosen)}"),
        ("app.compliance.metric.conflict_ha", f"{figures.hectares:,.4f}"),
        ("app.compliance.metric.farmland", _figure(total("farmland_ha"))),
        ("app.compliance.metric.eco_redline", _figure(total("eco_redline_ha"))),
        ("app.compliance.metric.outside_dev", _figure(total("outside_dev_boundary_ha"))),
    ]
    for column, (name, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(page.t(name), value)


def _table(page: Page, table: pd.DataFrame, ids: list[str]) -> None:
    selected = st.session_state.get(SELECTED)
    styled: Any = table
    if selected in ids:
        row = ids.index(selected)
        styled = table.style.apply(
            lambda r: [SELECTED_ROW if r.name == row else ""] * len(r), axis=1)
    figure = st.column_config.NumberColumn(format="%.4f")
    numbers = [page.t(f"app.compliance.column.{name}") for name in (
        "hectares", "conflict_ha", "farmland", "eco_redline", "outside_dev", "cultivated")]
    st.dataframe(
        styled, key=GRID, on_select=partial(_on_pick, page.t("app.tab.map")),
        selection_mode="single-row", hide_index=True, width="stretch",
        column_config={name: figure for name in numbers if name in table.columns},
    )
