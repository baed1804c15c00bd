"""双阳区发展布局图 — the Streamlit page.

The page only composes widgets around the core in ``geo_app``: data, maps, totals and
target measurements all come from there. ``GEO_APP_CATALOG`` may name another
``catalog.toml`` (its layer files are read beside it); unset, the shipped layers are used.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from branca.element import MacroElement
from streamlit_folium import st_folium

from app_parts import (
    basemap_panel,
    export_panel,
    first_paint,
    import_history,
    import_panel,
    map_bridge,
    page_data,
    parcel_editor,
    server_memory,
    workspace_source,
)
from geo_app.assets import RequiredAssetsMissing, install_static
from geo_app.basemaps.display_datum import from_display_datum
from geo_app.catalog import Catalog, LayerSpec, load_layer_geojson
from geo_app.i18n import DEFAULT_LANG, LANGS, Strings, load_strings
from geo_app.ledger import PARCEL_STATUSES, UNKNOWN, LandSupplyLedger, filter_key
from geo_app.mapview import (
    MapOptions,
    MapOptionsError,
    ParcelFilter,
    build_map,
    describe_point,
    search_features,
)
from geo_app.mapview.elements import template
from geo_app.mapview.popups import feature_name
from geo_app.problems import GeoAppError
from geo_app.progress import MONTHS, YearProgress, year_progress
from geo_app.workspace.layer_file import ParcelLayerFile

LOG = logging.getLogger("geo_app.streamlit")

# Session-state keys: the page's whole state, kept across reruns and language switches.
LANG = "lang"
BASEMAP = "basemap"
LAYER_PREFIX = "layer:"
FILTER_STATUS = "filter_status"
FILTER_TOWN = "filter_town"
FILTER_QUARTER = "filter_quarter"
SEARCH = "search_query"
SEARCH_PICK = "search_pick"
SELECTED = "selected_feature"
CLICK = "clicked_point"
CLICK_SEEN = "clicked_raw"
TABLE_LAYER = "table_layer"
TABLE_FILTER = "table_filter"
TABLE_GRID = "table_grid"
TABLE_IDS = "table_ids"
MAP_KEY = "main_map"
FILTERS_OPEN = "filters_open"
PROGRESS_YEAR = "progress_year"
TAB = "open_tab"
TABS = ("map", "land", "targets", "table")
# Height of the tab bar's place, kept empty on a session's first run.
TAB_BAR_PX = 56
KEPT_KEYS = frozenset({
    LANG, BASEMAP, FILTER_STATUS, FILTER_TOWN, FILTER_QUARTER, SEARCH, TABLE_LAYER,
    TABLE_FILTER, TAB, PROGRESS_YEAR,
}) | export_panel.KEPT_KEYS | parcel_editor.KEPT_KEYS

# What a page can meet in its data: the product's own error family (said in the page's
# language) and the file system's.
DATA_ERRORS = (GeoAppError, OSError, UnicodeDecodeError)


def _reason(exc: Exception, lang: str) -> str:
    """Why, in the page's language where the product knows the words."""
    if isinstance(exc, GeoAppError):
        return exc.message(lang)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
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


@dataclass(frozen=True)
class Page:
    data: page_data.AppData
    strings: Strings
    lang: str

    @property
    def catalog(self) -> Catalog:
        """The layers the page can use (broken layer files left out)."""
        return self.data.usable_catalog

    def t(self, name: str, **values: Any) -> str:
        return self.strings.get(name, self.lang, **values)

    def choice(self, prefix: str, value: str) -> str:
        """Display name of a coded value (status, use …); the code itself when unnamed."""
        if value == UNKNOWN:
            return self.t("app.land.unknown")
        name = f"{prefix}.{value}"
        return self.strings.get(name, self.lang) if name in self.strings else value


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


def _sidebar(page: Page) -> None:
    bar = st.sidebar
    bar.radio(
        page.t("app.language"), LANGS, key=LANG, format_func=LANGUAGE_NAMES.get,
        horizontal=True,
    )
    basemap_panel.basemap_sidebar(page.lang, page.strings)
    basemap_panel.goto_coordinate(page.lang, page.strings, on_go=lambda: _select(None))
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
        st.sidebar.caption(_plain(catalog.groups[group_id].name(page.lang)))
        for spec in specs:
            st.sidebar.checkbox(
                _plain(spec.name(page.lang)), key=LAYER_PREFIX + spec.id,
                disabled=spec.id in broken,
            )
            if spec.id in broken:
                st.sidebar.error(page.t("app.error.layer", reason=broken[spec.id]))


def _plain(text: str) -> str:
    """Data text for a widget label, which Streamlit reads as Markdown."""
    return page_data.escape_markdown(text)


# ----------------------------------------------------------------------- map tab


def _select(feature_id: str | None) -> None:
    st.session_state[SELECTED] = feature_id


def _on_search_pick() -> None:
    _select(st.session_state.get(SEARCH_PICK))


def _search_box(page: Page) -> None:
    query = st.text_input(
        page.t("app.search.label"), key=SEARCH, placeholder=page.t("app.search.placeholder")
    )
    if not query.strip():
        return
    matches = search_features(query, page.lang, page.catalog)
    if not matches:
        st.info(page.t("search.no_match", query=query.strip()))
        return
    labels = {match.id: f"{match.name} · {match.layer_name} · {match.id}" for match in matches}
    st.selectbox(
        page.t("app.search.choose", count=len(matches)),
        list(labels),
        index=None,
        key=SEARCH_PICK,
        format_func=labels.get,
        placeholder=page.t("app.search.none_chosen"),
        on_change=_on_search_pick,
    )


def _drawn_collections(page: Page, options: MapOptions) -> dict[str, dict]:
    """The visible layers' features as drawn (parcels filtered), for hit-testing clicks."""
    catalog = page.catalog
    collections = {}
    for layer_id in options.visible_layers or ():
        collection = load_layer_geojson(catalog.layer(layer_id))
        if layer_id == page.data.parcel_layer and not options.parcel_filter.is_empty:
            collection["features"] = [
                feature
                for feature in collection["features"]
                if options.parcel_filter.matches(feature.get("properties") or {})
            ]
        collections[layer_id] = collection
    return collections


def _take_click(page: Page, options: MapOptions, returned: dict | None, datum: str) -> None:
    """Remember a new click, and select the feature under it."""
    if not returned:
        return
    raw = returned.get("last_object_clicked") or returned.get("last_clicked")
    if not raw or raw == st.session_state.get(CLICK_SEEN):
        return
    st.session_state[CLICK_SEEN] = raw
    lon, lat = float(raw["lng"]), float(raw["lat"])
    st.session_state[CLICK] = (lon, lat, datum)
    lon, lat = from_display_datum((lon, lat), datum)
    hit = page_data.feature_at(lon, lat, _drawn_collections(page, options))
    if hit is not None and hit.feature_id != st.session_state.get(SELECTED):
        _select(hit.feature_id)
        st.session_state[TABLE_LAYER] = hit.layer_id
        st.rerun()


def _map_options(page: Page, visible: tuple[str, ...], basemap: str,
                 parcel_filter: ParcelFilter) -> MapOptions:
    return MapOptions(
        catalog=page.catalog,
        plan=page.data.plan,
        visible_layers=visible,
        lang=page.lang,
        basemap=basemap,
        parcel_filter=parcel_filter,
        highlight_id=st.session_state.get(SELECTED),
        **basemap_panel.map_options_extra(),
    )


class _FocusWithoutScrolling(MacroElement):
    """Leaflet focuses the map on the first mouse press and undoes the scroll of its own
    window only. Inside the page's frame the page itself then jumps when the map is partly
    out of view, and the click lands tens of pixels away from where it was aimed."""

    _template = template("focus_without_scrolling.js")


def _build(options: MapOptions, page: Page) -> Any:
    try:
        folium_map = build_map(options)
    except MapOptionsError:
        if options.highlight_id is None:
            raise
        # The selected feature has been filtered out (or its file changed): draw without it.
        st.info(page.t("app.selection.hidden"))
        folium_map = build_map(dataclasses.replace(options, highlight_id=None))
    _FocusWithoutScrolling().add_to(folium_map)
    return folium_map


def _map_tab(page: Page, options: MapOptions, ledger: LandSupplyLedger, filtered: bool,
             waiting: bool = False) -> bool:
    """The map and the panels under it. ``ledger``: the parcels the filters leave, for the
    land-supply headline. ``waiting``: a new visitor's first run, which draws only the map;
    True if it did (the map's report reruns the script for the rest)."""
    # The map comes first: the browser then starts loading it before any other widget.
    try:
        folium_map = _build(options, page)
    except DATA_ERRORS as exc:
        st.error(page.t("app.error.map", reason=_reason(exc, page.lang)))
        return False
    map_bridge.LiveReturnedObjects().add_to(folium_map)
    first_paint.ReportWhenDrawn().add_to(folium_map)
    parcel_editor.add_tools(folium_map, page.lang)
    returned = st_folium(
        folium_map,
        key=MAP_KEY,
        height=620,
        use_container_width=True,
        # The component renders the map itself; rendering the whole page first as well
        # would only repeat that work (same arguments, measured ~15 ms more per run).
        render=False,
        returned_objects=map_bridge.returned_objects(
            export_panel.wanted_objects(), parcel_editor.wanted_objects(),
            first_paint.returned_objects(waiting), clicks=parcel_editor.wants_clicks(),
        ),
    )
    if waiting:
        return True
    _supply_headline(page, ledger, filtered)
    datum = basemap_panel.display_datum_of(options.basemap)
    export_panel.take_view(returned, datum)
    parcel_editor.take_drawing(returned)
    _take_click(page, options, returned, datum)
    left, right = st.columns(2)
    with left:
        _search_box(page)
        _selection_panel(page)
    with right:
        _click_panel(page)
    parcel_editor.render(page.strings, page.lang, page.catalog, datum,
                         st.session_state.get(SELECTED), _select)
    export_panel.render(page.strings, page.lang, options, page.data.ledger,
                        st.session_state.get(SELECTED))
    st.caption(page.t("app.accuracy_note"))
    _attribution(page, options)
    return False


def _supply_headline(page: Page, ledger: LandSupplyLedger, filtered: bool) -> None:
    """The land supply against the yearly target at a glance, directly under the map.

    Under the map, never above it: a new visitor's first run draws the map alone
    (app_parts/first_paint.py), and anything that appeared above it on the next run would
    move the map, which the browser then draws anew.
    """
    share = ledger.share_of_target
    target = page_data.format_number(ledger.target_ha, page.lang)
    figures = [
        (page.t("app.land.total_filtered" if filtered else "app.land.total_all"),
         page_data.format_hectares(ledger.total_ha)),
        (page.t("app.headline.gap"), page_data.format_hectares(ledger.gap_ha)),
        # No target (0 ha) has no share; a dash says so rather than a made-up 0 %.
        (page.t("app.headline.share", target=target),
         "—" if math.isnan(share) else f"{share * 100:.1f}%"),
    ]
    # The three statuses always, so the row keeps its shape; others only when they hold land.
    figures += [
        (page.t("app.headline.status", status=page.choice("parcel.status", status)),
         page_data.format_hectares(hectares))
        for status, hectares in ledger.by_status.items()
        if status in PARCEL_STATUSES or hectares > 0
    ]
    for column, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, value)
    notes = [page.t("app.headline.note", tab=page.t("app.tab.land"))]
    if page.data.ledger.sample_data:
        notes.insert(0, page.t("app.headline.sample"))
    st.caption(" ".join(notes))


def _selection_panel(page: Page) -> None:
    feature_id = st.session_state.get(SELECTED)
    if not feature_id:
        return
    found = _find_feature(page, feature_id)
    if found is None:
        _select(None)
        return
    spec, properties = found
    st.markdown(f"**{page.t('app.selection.title')}**")
    st.text(f"{feature_name(properties, page.lang)}\n{page.t('app.selection.layer')}: "
            f"{spec.name(page.lang)}\nid: {feature_id}")
    st.button(page.t("app.selection.clear"), on_click=_select, args=(None,))


def _find_feature(page: Page, feature_id: str) -> tuple[LayerSpec, dict] | None:
    for spec in page.catalog.layers:
        for feature in load_layer_geojson(spec)["features"]:
            properties = feature.get("properties") or {}
            if properties.get("id") == feature_id:
                return spec, properties
    return None


def _click_panel(page: Page) -> None:
    clicked = st.session_state.get(CLICK)
    if clicked is None:
        st.caption(page.t("app.click.hint"))
        return
    lon, lat, datum = clicked
    rows = describe_point(lon, lat, page.lang, datum)
    st.markdown(f"**{page.t('app.click.title')}**")
    st.text("\n".join(f"{label}: {text}" for label, text in rows))


def _attribution(page: Page, options: MapOptions) -> None:
    catalog = page.catalog
    lines = []
    for layer_id in options.visible_layers or ():
        spec = catalog.layer(layer_id)
        text = spec.attribution(page.lang)
        if text:
            licence = f" ({spec.licence})" if spec.licence else ""
            lines.append(f"{spec.name(page.lang)}: {text}{licence}")
    basemap = basemap_panel.shown_basemap(options.basemap)
    if basemap.attribution_zh or basemap.attribution_en:
        lines.append(f"{basemap.name(page.lang)}: {basemap.attribution(page.lang)}")
    with st.expander(page.t("app.attribution")):
        st.text("\n".join(lines))


# ----------------------------------------------------------------------- land-supply tab


def _land_tab(page: Page, ledger: LandSupplyLedger, filtered: bool) -> None:
    whole = page.data.ledger
    if whole.sample_data:
        st.warning(page.t("app.land.sample"))
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


def _targets_tab(page: Page) -> None:
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
            frame, width="stretch", hide_index=True, height=_table_height(len(frame)),
            column_config={column("share"): st.column_config.ProgressColumn(
                format="%.1f%%", min_value=0, max_value=100,
            )},
        )
    if groups.drawn:
        st.markdown(f"**{page.t('app.targets.drawn_title')}**")
        frame = page_data.target_rows(groups.drawn, page.catalog, page.strings, page.lang)
        frame = frame.drop(columns=[column("share")])
        st.dataframe(frame, width="stretch", hide_index=True, height=_table_height(len(frame)))
    if groups.others:
        st.markdown(f"**{page.t('app.targets.others_title')}**")
        frame = page_data.target_rows(groups.others, page.catalog, page.strings, page.lang)
        frame = frame.drop(columns=[column("measured"), column("share"), column("outcome")])
        frame = frame.rename(columns={column("method"): column("why_not")})
        st.dataframe(frame, width="stretch", hide_index=True)


def _table_height(rows: int) -> int:
    """Tall enough to show every row of a short table without its own scroll bar."""
    return 38 + 35 * rows


# ----------------------------------------------------------------------- table tab


def _on_table_pick() -> None:
    rows = st.session_state[TABLE_GRID].selection.rows
    ids = st.session_state.get(TABLE_IDS, [])
    if rows and rows[0] < len(ids):
        _select(ids[rows[0]])


def _table_tab(page: Page, parcel_filter: ParcelFilter) -> None:
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
    try:
        _static_assets()
    except RequiredAssetsMissing as exc:
        st.error(strings.get("app.error.assets", lang, reason=str(exc)))
        st.stop()
    try:
        data = _load_data(page_data.catalog_path_from_env(), strings, lang)
    except DATA_ERRORS as exc:
        st.sidebar.radio(strings.get("app.language", lang), LANGS, key=LANG,
                         format_func=LANGUAGE_NAMES.get, horizontal=True)
        st.error(strings.get("app.error.load", lang, reason=_reason(exc, lang)))
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
    options = _map_options(page, choices.visible, choices.basemap, parcel_filter)
    # The tab bar's place is kept from the first run on; the bar itself, like the sidebar,
    # comes once the browser reports the map drawn (see app_parts/first_paint.py): laying
    # out either with the map held the map back. So the open tab's content is drawn below
    # the bar, not inside it, and the map keeps its place in the page when the bar arrives
    # (a moved map would be drawn anew). Only the open tab runs: the first paint needs no
    # chart or table code.
    tab_bar = st.container(height=TAB_BAR_PX, border=False)
    drawers = (
        lambda: _map_tab(page, options, ledger, filtered),
        lambda: _land_tab(page, ledger, filtered=filtered),
        lambda: _targets_tab(page),
        lambda: _table_tab(page, parcel_filter),
    )
    first_run = first_paint.starts_now()
    if first_run and _map_tab(page, options, ledger, filtered, waiting=True):
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
