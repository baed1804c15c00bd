"""双阳区发展布局图 — the Streamlit page.

The page only composes widgets around the core in ``geo_app``: data, maps, totals and
target measurements all come from there. ``GEO_APP_CATALOG`` may name another
``catalog.toml`` (its layer files are read beside it); unset, the shipped layers are used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from app_parts import (
    basemap_panel,
    compliance_tab,
    export_panel,
    first_paint,
    land_tab,
    map_tab,
    page_data,
    parcel_editor,
    server_memory,
    sign_in,
    table_tab,
    targets_tab,
    workspace_source,
)
from app_parts.page import (
    BASEMAP,
    DATA_ERRORS,
    FILTER_QUARTER,
    FILTER_STATUS,
    FILTER_TOWN,
    FILTERS_OPEN,
    LANG,
    LAYER_PREFIX,
    PROGRESS_YEAR,
    SEARCH,
    TAB,
    TAB_BAR_PX,
    TABLE_FILTER,
    TABLE_LAYER,
    TABS,
    Page,
    plain,
    reason,
    select,
)
from geo_app.assets import RequiredAssetsMissing, install_static
from geo_app.i18n import DEFAULT_LANG, LANGS, Strings, load_strings
from geo_app.mapview import (
    ParcelFilter,
)
from geo_app.workspace.layer_file import ParcelLayerFile

LOG = logging.getLogger("geo_app.streamlit")

# Session-state keys: the page's whole state, kept across reruns and language switches.
KEPT_KEYS = frozenset({
    LANG, BASEMAP, FILTER_STATUS, FILTER_TOWN, FILTER_QUARTER, SEARCH, TABLE_LAYER,
    TABLE_FILTER, TAB, PROGRESS_YEAR,
}) | export_panel.KEPT_KEYS | parcel_editor.KEPT_KEYS | compliance_tab.KEPT_KEYS
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


# ----------------------------------------------------------------------- cached inputs


@st.cache_resource(show_spinner=False)
def _static_assets() -> Any:
    """Copy Leaflet and its plugins into static/vendor once per server process."""
    return install_static()


def _load_data(catalog_path: Path | None, strings: Strings, lang: str) -> page_data.AppData:
    version = page_data.data_version(catalog_path)
    # The workspace's parcels; the copy's path changes with every change to the workspace.
    parcels = workspace_source.parcel_file(strings, lang)
    return _cached_app_data(
        str(catalog_path) if catalog_path else None, version,
        (str(parcels.path), parcels.sample_data) if parcels else None,
    )


@st.cache_resource(show_spinner=False, max_entries=4)
def _cached_app_data(catalog_path: str | None, version: tuple,
                     parcels: tuple[str, bool] | None) -> page_data.AppData:
    del version  # part of the cache key only: a changed file means a fresh load
    return page_data.load_app_data(
        Path(catalog_path) if catalog_path else None,
        ParcelLayerFile(Path(parcels[0]), parcels[1]) if parcels else None,
    )


# ----------------------------------------------------------------------- page pieces


def _language() -> str:
    if st.session_state.get(LANG) not in LANGS:
        st.session_state[LANG] = DEFAULT_LANG
    return st.session_state[LANG]


@dataclass(frozen=True)
class Choices:
    """What the sidebar currently asks for, read from session state."""

    basemap: str
    visible: tuple[str, ...]
    parcel_filter: ParcelFilter


def _settle_choices(page: Page) -> Choices:
    """Give every sidebar key a valid value and read them all.

    The sidebar is drawn after the main area (so the map reaches the browser first); its
    widgets are bound to these same keys, so they show exactly what was used here.
    """
    state = st.session_state
    registry = basemap_panel.registry()
    if state.get(BASEMAP) not in registry:
        state[BASEMAP] = registry.ids()[0]
    chosen = []
    for spec in page.data.catalog.layers:
        key = LAYER_PREFIX + spec.id
        if spec.id in page.data.broken_layers:
            state[key] = False
        elif key not in state:
            state[key] = spec.default_visible
        if state[key]:
            chosen.append(spec.id)
    choices = page.data.choices
    values = {}
    for key, options in (
        (FILTER_STATUS, choices.statuses),
        (FILTER_TOWN, choices.towns),
        (FILTER_QUARTER, choices.quarters),
    ):
        state[key] = page_data.kept_choices(state.get(key), options)
        values[key] = page_data.as_filter_values(state[key])
    return Choices(
        basemap=state[BASEMAP],
        visible=page_data.ordered_visible(page.catalog, chosen),
        parcel_filter=ParcelFilter.of(
            values[FILTER_STATUS], values[FILTER_TOWN], values[FILTER_QUARTER]
        ),
    )


def _language_switch(strings: Strings, lang: str) -> None:
    st.sidebar.radio(strings.get("app.language", lang), LANGS, key=LANG,
                     format_func=LANGUAGE_NAMES.get, horizontal=True)


def _sidebar(page: Page) -> None:
    _language_switch(page.strings, page.lang)
    sign_in.account_box(sign_in.current_actor(), page.strings, page.lang)
    basemap_panel.basemap_sidebar(page.lang, page.strings)
    basemap_panel.goto_coordinate(page.lang, page.strings, on_go=lambda: select(None))
    _sidebar_layers(page)
    _sidebar_filters(page)


def _sidebar_filters(page: Page) -> None:
    """Land-supply filters in a folding panel whose widgets run only while it is open
    (fewer widgets for the browser to draw before the map)."""
    keys = (FILTER_STATUS, FILTER_TOWN, FILTER_QUARTER)
    active = sum(1 for key in keys if st.session_state.get(key))
    label = page.t("app.filters")
    if active:
        label = page.t("app.filter.count", label=label, count=active)
    panel = st.sidebar.expander(label, expanded=active > 0, key=FILTERS_OPEN,
                                on_change="rerun")
    if not panel.open:
        return
    choices = page.data.choices
    for key, name, options, describe in (
        (FILTER_STATUS, "app.filter.status", choices.statuses,
         lambda value: page.choice("parcel.status", value)),
        (FILTER_TOWN, "app.filter.town", choices.towns, str),
        (FILTER_QUARTER, "app.filter.quarter", choices.quarters, str),
    ):
        panel.multiselect(
            page.t(name), options, key=key, format_func=describe,
            placeholder=page.t("app.filter.placeholder"),
        )


def _sidebar_layers(page: Page) -> None:
    catalog = page.data.catalog
    broken = page.data.broken_layers
    st.sidebar.subheader(page.t("app.layers"))
    for group_id, specs in catalog.by_group().items():
        if not specs:
            continue
        st.sidebar.caption(plain(catalog.groups[group_id].name(page.lang)))
        for spec in specs:
            st.sidebar.checkbox(
                plain(spec.name(page.lang)), key=LAYER_PREFIX + spec.id,
                disabled=spec.id in broken,
            )
            if spec.id in broken:
                st.sidebar.error(page.t("app.error.layer", reason=broken[spec.id]))


def _keep_widget_state() -> None:
    """Keep values of widgets that a run may not draw (closed tabs, a rerun cut short).

    Streamlit forgets the value of a widget that is missing from a finished run; writing
    the value back makes it the page's own state, which is kept.
    """
    state = st.session_state
    for key in list(state.keys()):
        if key in KEPT_KEYS or str(key).startswith(LAYER_PREFIX):
            state[key] = state[key]


def _render() -> None:
    _keep_widget_state()
    lang = _language()
    strings = load_strings()
    st.title(strings.get("app.title", lang))
    st.caption(strings.get("app.caption", lang))
    # Nothing else is drawn, and no data read, until the user is known (when sign-in is on).
    sign_in.gate(strings, lang, language_switch=lambda: _language_switch(strings, lang))
    try:
        _static_assets()
    except RequiredAssetsMissing as exc:
        st.error(strings.get("app.error.assets", lang, reason=str(exc)))
        st.stop()
    try:
        data = _load_data(page_data.catalog_path_from_env(), strings, lang)
    except DATA_ERRORS as exc:
        _language_switch(strings, lang)
        st.error(strings.get("app.error.load", lang, reason=reason(exc, lang)))
        st.stop()
    page = Page(data=data, strings=strings, lang=lang)
    choices = _settle_choices(page)
    parcel_filter = choices.parcel_filter
    filtered = not parcel_filter.is_empty
    ledger = data.ledger
    if filtered:
        ledger = ledger.filtered(
            status=parcel_filter.statuses, town=parcel_filter.towns,
            quarter=parcel_filter.quarters,
        )
    options = map_tab.map_options(page, choices.visible, choices.basemap, parcel_filter)
    # The tab bar's place is kept from the first run on; the bar itself, like the sidebar,
    # comes once the browser reports the map drawn (see app_parts/first_paint.py): laying
    # out either with the map held the map back. So the open tab's content is drawn below
    # the bar, not inside it, and the map keeps its place in the page when the bar arrives
    # (a moved map would be drawn anew). Only the open tab runs: the first paint needs no
    # chart or table code.
    tab_bar = st.container(height=TAB_BAR_PX, border=False)
    drawers = (
        lambda: map_tab.draw(page, options, ledger, filtered),
        lambda: land_tab.draw(page, ledger, filtered=filtered),
        lambda: compliance_tab.draw(page, ledger, filtered),
        lambda: targets_tab.draw(page),
        lambda: table_tab.draw(page, parcel_filter),
    )
    first_run = first_paint.starts_now()
    if first_run and map_tab.draw(page, options, ledger, filtered, waiting=True):
        return
    # A map that could not be drawn sends no report: the rest of the page comes at once
    # (under the map's error, which is not repeated).
    _keep_tab_across_languages(page)
    with tab_bar:
        tabs = st.tabs([page.t(f"app.tab.{name}") for name in TABS], key=TAB, on_change="rerun")
    for name, tab, draw in zip(TABS, tabs, drawers, strict=True):
        if tab.open and not (first_run and name == "map"):
            draw()
    _sidebar(page)


def _keep_tab_across_languages(page: Page) -> None:
    """The open tab is remembered by its label; carry it over when the language changes."""
    current = st.session_state.get(TAB)
    for lang in LANGS:
        labels = [page.strings.get(f"app.tab.{name}", lang) for name in TABS]
        if current in labels:
            st.session_state[TAB] = page.t(f"app.tab.{TABS[labels.index(current)]}")
            return


def main() -> None:
    st.set_page_config(
        page_title="双阳区发展布局图 · Shuangyang", page_icon="🗺️", layout="wide"
    )
    try:
        _render()
        server_memory.freeze_long_lived_objects()
    except Exception as exc:
        # A bug, not bad data: log the traceback for the maintainer, show one plain line.
        LOG.exception("unexpected error while drawing the page")
        lang = st.session_state.get(LANG, DEFAULT_LANG)
        st.error(load_strings().get(
            "app.error.unexpected", lang if lang in LANGS else DEFAULT_LANG,
            kind=type(exc).__name__, reason=str(exc),
        ))


main()
