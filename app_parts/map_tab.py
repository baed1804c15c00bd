"""The map tab: the map, the land-supply headline under it, search, selection, clicks.

Map tiles (a big workspace's parcels, big reference layers) are written by a worker, never
here: the map draws the archives that are ready, and what it can of the others (an older
archive marked out of date, the parcels' outline, a reference layer's polygons near the
parcels), says that the tiles are being prepared, and draws them once they are.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import streamlit as st
from branca.element import MacroElement
from shapely.geometry import Point, mapping
from streamlit_folium import st_folium

from app_parts import (
    basemap_panel,
    compliance_tab,
    export_panel,
    first_paint,
    map_bridge,
    page_data,
    parcel_editor,
    workspace_source,
)
from app_parts.page import (
    CLICK,
    CLICK_SEEN,
    DATA_ERRORS,
    MAP_KEY,
    SEARCH,
    SEARCH_PICK,
    SELECTED,
    TABLE_LAYER,
    Page,
    reason,
    select,
)

# The map is built through the package (not a name bound at import), so a test can stand
# in a failing builder.
from geo_app import mapview
from geo_app.basemaps.display_datum import from_display_datum, to_display_datum
from geo_app.catalog import LayerSpec, load_layer_geojson
from geo_app.ledger import PARCEL_STATUSES, LandSupplyLedger
from geo_app.mapview import (
    MapOptions,
    MapOptionsError,
    ParcelFilter,
    ParcelTiles,
    describe_point,
    search_features,
)
from geo_app.mapview.elements import template
from geo_app.mapview.popups import feature_name
from geo_app.mapview.references import (
    ControlOverlay,
    ReferenceTiles,
    polygon_rows,
    reference_polygons_at,
)
from geo_app.workspace import WorkspaceError
from geo_app.workspace.layer_file import layer_properties
from geo_app.workspace.tile_file import MAX_ZOOM, MIN_ZOOM, ArchiveSpec, ArchiveState

# How often a page waiting for map tiles looks whether they are ready (a file look).
TILE_POLL_S = 2.0
# The reference polygons under the last click, as the server found them (plain rows).
CLICK_REFERENCES = "map_click_references"


def _on_search_pick() -> None:
    select(st.session_state.get(SEARCH_PICK))


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


def _parcels_under(tiles: ParcelTiles, options: MapOptions, lon: float, lat: float) -> dict:
    """The parcels (drawn, so filtered) under a click, found through the spatial index of
    the parcels the tiles were built from: the tiles hold too little to answer."""
    frame = workspace_source.tile_parcels(tiles.url)
    rows = frame.iloc[frame.sindex.query(Point(lon, lat), predicate="intersects")]
    features = []
    for row in rows.itertuples(index=False):
        properties = {"id": row.id, "status": row.status, "town": row.town,
                      "quarter": row.quarter}
        if options.parcel_filter.matches(properties):
            features.append({"type": "Feature", "properties": properties,
                             "geometry": mapping(row.geometry)})
    return {"type": "FeatureCollection", "features": features}


def _drawn_collections(page: Page, options: MapOptions, tiles: ParcelTiles | None = None,
                       at: tuple[float, float] | None = None) -> dict[str, dict]:
    """The visible layers' features as drawn (parcels filtered), for hit-testing clicks;
    with tiles, only the parcels under ``at`` (lon, lat)."""
    catalog = page.catalog
    collections = {}
    for layer_id in options.visible_layers or ():
        if tiles is not None and at is not None and layer_id == page.data.parcel_layer:
            collections[layer_id] = _parcels_under(tiles, options, *at)
            continue
        collection = load_layer_geojson(catalog.layer(layer_id))
        if layer_id == page.data.parcel_layer and not options.parcel_filter.is_empty:
            collection["features"] = [
                feature
                for feature in collection["features"]
                if options.parcel_filter.matches(feature.get("properties") or {})
            ]
        collections[layer_id] = collection
    return collections


def _take_click(page: Page, options: MapOptions, returned: dict | None, datum: str,
                control: ControlOverlay | None = None, tiles: ParcelTiles | None = None,
                references: dict[int, ReferenceTiles] | None = None) -> None:
    """Remember a new click, and select the feature under it (not when it landed on a
    control-line polygon outside the parcels: that click opens the polygon's popup). The
    reference polygons drawn from tiles under it are named under the map with their
    columns, which their tiles do not hold."""
    if not returned:
        return
    raw = returned.get("last_object_clicked") or returned.get("last_clicked")
    if not raw or raw == st.session_state.get(CLICK_SEEN):
        return
    st.session_state[CLICK_SEEN] = raw
    lon, lat = float(raw["lng"]), float(raw["lat"])
    st.session_state[CLICK] = (lon, lat, datum)
    on_reference = control is not None and control.reference_at(lon, lat)
    lon, lat = from_display_datum((lon, lat), datum)
    here = _tiled_polygons_at(page, control, references, lon, lat)
    st.session_state[CLICK_REFERENCES] = here
    on_reference = on_reference or bool(here)
    hit = page_data.feature_at(lon, lat, _drawn_collections(page, options, tiles, (lon, lat)))
    if hit is not None and on_reference and hit.layer_id != page.data.parcel_layer:
        return
    if hit is not None and hit.feature_id != st.session_state.get(SELECTED):
        select(hit.feature_id)
        st.session_state[TABLE_LAYER] = hit.layer_id
        st.rerun()


def _tiled_polygons_at(page: Page, control: ControlOverlay | None,
                       references: dict[int, ReferenceTiles] | None, lon: float,
                       lat: float) -> list[list[tuple[str, str]]]:
    """The polygons of the reference layers drawn from tiles under (lon, lat), each as the
    rows the page shows (layer, id, class, columns), read from the workspace."""
    if control is None or not references:
        return []
    drawn = [d for d in control.tiled if d.layer.layer_id in references]
    try:
        found = reference_polygons_at(workspace_source.open_workspace(), drawn, lon, lat)
    except (WorkspaceError, OSError):
        return []
    return [polygon_rows(polygon, page.strings, page.lang) for polygon in found]


def map_options(page: Page, visible: tuple[str, ...], basemap: str,
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


def _selected_parcel(options: MapOptions) -> dict | None:
    """The selected parcel as a GeoJSON feature from the workspace, when it is drawn (the
    filters leave it); None for any other selection."""
    if options.highlight_id is None:
        return None
    try:
        parcel = workspace_source.open_workspace().parcel(options.highlight_id)
    except (WorkspaceError, KeyError, LookupError):
        return None
    properties = layer_properties(parcel)
    if not options.parcel_filter.matches(properties):
        return None
    return {"type": "Feature", "properties": properties,
            "geometry": mapping(parcel.geometry)}


@dataclasses.dataclass
class TileWork:
    """The archives this run asked for that are not ready: being built (their specs, for
    the page to look again) or given up on; each with the words naming its layer."""

    waiting: list[tuple[str, ArchiveSpec]] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)

    def note(self, state: ArchiveState, label: str) -> None:
        if state.failed:
            self.failed.append(label)
        elif state.spec is not None:
            self.waiting.append((label, state.spec))


def _leaflet_bounds(bounds: tuple[float, float, float, float] | None) -> Any:
    if bounds is None:
        return None
    west, south, east, north = bounds
    return ((south, west), (north, east))


def parcel_tiles(options: MapOptions, work: TileWork | None = None,
                 label: str = "") -> ParcelTiles | None:
    """The parcel layer's tiles when the workspace is above the tile threshold. While the
    archive of its current change is being built: the previous archive, out of date, or
    else the parcels' outline (``work`` learns what the page waits for)."""
    datum = basemap_panel.display_datum_of(options.basemap)
    state = workspace_source.parcel_tiles(datum)
    if state is None:
        return None
    highlight = _selected_parcel(options)
    if state.current is not None:
        built = state.current
        return ParcelTiles(
            url=workspace_source.tiles_url(built), bounds=_leaflet_bounds(built.bounds),
            min_zoom=built.min_zoom, max_zoom=built.max_zoom, layer=built.layer,
            count=built.count, highlight=highlight,
        )
    if work is not None:
        work.note(state, label)
    if state.previous is not None:
        old = state.previous
        return ParcelTiles(
            url=workspace_source.tiles_url(old), bounds=_leaflet_bounds(old.bounds),
            min_zoom=old.min_zoom, max_zoom=old.max_zoom, layer=old.layer, count=old.count,
            highlight=highlight, out_of_date=True,
        )
    extent = workspace_source.parcels_extent()
    if extent is not None:
        west, south = to_display_datum((extent[0], extent[1]), datum)
        east, north = to_display_datum((extent[2], extent[3]), datum)
        extent = (west, south, east, north)
    return ParcelTiles(url=None, bounds=_leaflet_bounds(extent), min_zoom=MIN_ZOOM,
                       max_zoom=MAX_ZOOM, highlight=highlight)


def reference_tiles(control: ControlOverlay | None, datum: str,
                    work: TileWork | None = None) -> dict[int, ReferenceTiles]:
    """The archives of the big reference layers that are ready, by layer id; a build is
    started for each that is not (``work`` learns of it)."""
    ready: dict[int, ReferenceTiles] = {}
    for drawing in control.tiled if control is not None else ():
        layer_id = drawing.layer.layer_id
        state = workspace_source.reference_tiles(layer_id, datum)
        if state is None:
            continue
        if state.current is not None:
            built = state.current
            ready[layer_id] = ReferenceTiles(
                layer_id=layer_id, url=workspace_source.tiles_url(built), count=built.count,
                min_zoom=built.min_zoom, max_zoom=built.max_zoom, layer=built.layer,
            )
        elif work is not None:
            work.note(state, drawing.layer.name)
    return ready


@st.fragment(run_every=TILE_POLL_S)
def _await_tiles(specs: tuple[ArchiveSpec, ...]) -> None:
    """While tiles are being built: the whole page again once one is ready (or its build
    ended without it: the page then says so, or starts it again)."""
    for spec in specs:
        state = workspace_source.tile_state(spec)
        if state is None or state.ready or not state.building:
            st.rerun()


def _tile_notice(page: Page, work: TileWork) -> None:
    separator = page.t("problem_words.list_separator")
    if work.failed:
        st.warning(page.t("app.tiles.failed", layers=separator.join(work.failed)))
    if work.waiting:
        st.info(page.t("app.tiles.preparing",
                       layers=separator.join(label for label, _ in work.waiting)))
        _await_tiles(tuple(spec for _, spec in work.waiting))


def _map(options: MapOptions, control: ControlOverlay | None,
         tiles: ParcelTiles | None = None,
         references: dict[int, ReferenceTiles] | None = None) -> Any:
    # Without control lines or tiles, the map is built as it always was.
    if references:
        return mapview.build_map(options, control, tiles, references)
    if tiles is not None:
        return mapview.build_map(options, control, tiles)
    if control is None:
        return mapview.build_map(options)
    return mapview.build_map(options, control)


def _build(options: MapOptions, page: Page, control: ControlOverlay | None,
           tiles: ParcelTiles | None = None,
           references: dict[int, ReferenceTiles] | None = None) -> Any:
    try:
        folium_map = _map(options, control, tiles, references)
    except MapOptionsError:
        if options.highlight_id is None:
            raise
        # The selected feature has been filtered out (or its file changed): draw without it.
        st.info(page.t("app.selection.hidden"))
        folium_map = _map(dataclasses.replace(options, highlight_id=None), control, tiles,
                          references)
    _FocusWithoutScrolling().add_to(folium_map)
    return folium_map


def draw(page: Page, options: MapOptions, ledger: LandSupplyLedger, filtered: bool,
             waiting: bool = False) -> bool:
    """The map and the panels under it. ``ledger``: the parcels the filters leave, for the
    land-supply headline. ``waiting``: a new visitor's first run, which draws only the map;
    True if it did (the map's report reruns the script for the rest)."""
    # The map comes first: the browser then starts loading it before any other widget.
    # The workspace's control lines (reference layers, conflict pieces) are prepared once
    # per change of the parcels or the layers.
    datum = basemap_panel.display_datum_of(options.basemap)
    control = compliance_tab.map_overlay(page, datum)
    # A workspace above the tile threshold: the parcels are drawn from its tiles; so is a
    # big reference layer. Archives not yet written are being built by a worker.
    work = TileWork()
    tiles = parcel_tiles(options, work, page.t("app.tiles.parcels")) if (
        options.visible_layers and page.data.parcel_layer in options.visible_layers) else None
    references = reference_tiles(control, datum, work)
    try:
        folium_map = _build(options, page, control, tiles, references)
    except DATA_ERRORS as exc:
        st.error(page.t("app.error.map", reason=reason(exc, page.lang)))
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
    _tile_notice(page, work)
    _supply_headline(page, ledger, filtered)
    export_panel.take_view(returned, datum)
    parcel_editor.take_drawing(returned)
    _take_click(page, options, returned, datum, control, tiles, references)
    left, right = st.columns(2)
    with left:
        _search_box(page)
        _selection_panel(page)
    with right:
        _click_panel(page)
    parcel_editor.render(page.strings, page.lang, page.catalog, datum,
                         st.session_state.get(SELECTED), select)
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
    conflicts = compliance_tab.conflict_lines(page, ledger)
    if conflicts is not None:
        figures.append((page.t("app.headline.conflict"),
                        page_data.format_hectares(conflicts[0].hectares)))
    for column, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, value)
    notes = [page.t("app.headline.note", tab=page.t("app.tab.land"))]
    if conflicts is not None:
        notes.append(conflicts[1])
    if page.data.ledger.sample_data:
        notes.insert(0, page.t("app.headline.sample"))
    st.caption(" ".join(notes))


def _selection_panel(page: Page) -> None:
    feature_id = st.session_state.get(SELECTED)
    if not feature_id:
        return
    found = _find_feature(page, feature_id)
    if found is None:
        select(None)
        return
    spec, properties = found
    st.markdown(f"**{page.t('app.selection.title')}**")
    st.text(f"{feature_name(properties, page.lang)}\n{page.t('app.selection.layer')}: "
            f"{spec.name(page.lang)}\nid: {feature_id}")
    st.button(page.t("app.selection.clear"), on_click=select, args=(None,))


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
    polygons = st.session_state.get(CLICK_REFERENCES) or []
    if polygons:
        st.markdown(f"**{page.t('app.click.references')}**")
        for polygon in polygons:
            st.text("\n".join(f"{label}: {text}" for label, text in polygon))


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
