"""``build_map``: the plan layers as a folium Map that needs no CDN, and its standalone page."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import folium
from folium.plugins import Fullscreen, MeasureControl

from geo_app.assets import AssetMode, AssetSet, asset_urls
from geo_app.basemaps import Basemap, BasemapError, BasemapRegistry
from geo_app.basemaps.display_datum import to_display_datum
from geo_app.basemaps.settings import BasemapChoice, configured_basemaps, resolve_basemap
from geo_app.catalog import Catalog, LayerSpec, load_catalog
from geo_app.i18n import Strings, check_lang, load_strings
from geo_app.mapview.display import DisplayRules, display_rules
from geo_app.mapview.elements import (
    ClickCoordinates,
    DisplayDatum,
    InlineAssets,
    LatePlugins,
    LayerSwitcher,
    Legend,
    MeasureInWgs84,
    PageStyle,
    SafeGeoJsonLayer,
    ScaleBar,
    html_text,
)
from geo_app.mapview.features import (
    DisplayFeature,
    layer_features,
    parcel_layer_ids,
    prepare_features,
    union_bounds,
)
from geo_app.mapview.legend import legend_html
from geo_app.mapview.online import (
    add_approval,
    add_backdrop_pane,
    add_tile_fallback,
    add_tile_layers,
)
from geo_app.mapview.options import Bounds, MapOptions
from geo_app.mapview.popups import popup_html, tooltip_html
from geo_app.mapview.references import (
    ControlOverlay,
    ReferenceTiles,
    add_control_overlay,
    add_control_panes,
)
from geo_app.mapview.tiles import TILES_JS, ParcelTileLayer, ParcelTiles, tile_rules
from geo_app.plan import Plan, load_plan
from geo_app.problems import SettingsError

# Resources each part of the page needs, by vendor.toml name.
BASE_JS = ("leaflet",)
BASE_CSS = ("leaflet_css",)
FULLSCREEN = (("fullscreen_js",), ("fullscreen_css",))
MEASURE_JS = {"zh": "measure_js_zh", "en": "measure_js_en"}
MEASURE_CSS = ("measure_css",)
GOTO_ZOOM = 15


class MapOptionsError(SettingsError):
    """The options name a layer, basemap or feature that does not exist."""


@dataclasses.dataclass
class _Page:
    """Collects the vendored resources the page uses, in load order."""

    assets: AssetSet
    js: list[str] = dataclasses.field(default_factory=list)
    css: list[str] = dataclasses.field(default_factory=list)
    # Served pages: plugin controls added after the map's first draw.
    late: LatePlugins | None = None

    def use(self, element: Any, js: Sequence[str], css: Sequence[str]) -> None:
        # Instance attributes: folium's class-level lists stay untouched for other code.
        if self.assets.mode is AssetMode.SERVED:
            element.default_js = self.assets.links(*js)
            element.default_css = self.assets.links(*css)
        else:
            element.default_js = []
            element.default_css = []
        self.js.extend(name for name in js if name not in self.js)
        self.css.extend(name for name in css if name not in self.css)

    def add_plugin(self, m: folium.Map, control: Any, js: Sequence[str] = (),
                   css: Sequence[str] = ()) -> None:
        """A control that needs plugin files. Served, it comes after the map's first draw
        (the files are not fetched before the map can start); inlined, with the map."""
        if self.assets.mode is AssetMode.SERVED:
            if self.late is None:
                self.late = LatePlugins()
            self.late.add(m, control, [url for _, url in self.assets.links(*js)],
                          [url for _, url in self.assets.links(*css)])
            return
        self.use(control, js, css)
        control.add_to(m)

    def add_late_plugins(self, m: folium.Map) -> None:
        if self.late is not None:
            self.late.add_to(m)

    def inline_element(self) -> InlineAssets:
        return InlineAssets(
            styles=[self.assets[name] for name in self.css],
            scripts=[self.assets[name] for name in self.js],
        )


@dataclasses.dataclass(frozen=True)
class _Context:
    options: MapOptions
    catalog: Catalog
    plan: Plan
    strings: Strings
    choice: BasemapChoice
    # Drawn when online tiles cannot be fetched (None if the registry has no offline base).
    fallback: Basemap | None
    rules: DisplayRules
    parcel_ids: frozenset[str]
    # The pane parcels and the selection are drawn in (None: the overlay pane, as always).
    parcel_pane: str | None = None
    # The parcel layer's tiles (None: the parcels travel as GeoJSON, as always).
    tiles: ParcelTiles | None = None

    @property
    def basemap(self) -> Basemap:
        """The basemap drawn: the one asked for, or the offline base when it lacks a key."""
        return self.choice.shown

    @property
    def lang(self) -> str:
        return self.options.lang


def _context(options: MapOptions) -> _Context:
    check_lang(options.lang)
    catalog = options.catalog if options.catalog is not None else load_catalog()
    plan = options.plan if options.plan is not None else load_plan()
    registry, problems = _registry(options)
    try:
        choice = resolve_basemap(registry, options.basemap, options.settings)
    except BasemapError as exc:
        # An id from a configured extra that was left out: say why it is missing.
        reason = "; ".join((str(exc), *problems))
        raise MapOptionsError(reason) from exc
    try:
        fallback: Basemap | None = registry.fallback()
    except BasemapError:
        fallback = None
    return _Context(
        options=options,
        catalog=catalog,
        plan=plan,
        strings=load_strings(),
        choice=choice,
        fallback=fallback,
        rules=display_rules(),
        parcel_ids=parcel_layer_ids(catalog, plan),
    )


def _registry(options: MapOptions) -> tuple[BasemapRegistry, tuple[str, ...]]:
    if options.basemaps is not None:
        return options.basemaps, ()
    configured = configured_basemaps(options.settings)
    return configured.registry, configured.problems


def visible_layers(catalog: Catalog, visible: Sequence[str] | None) -> tuple[LayerSpec, ...]:
    """The layers to draw, in catalog (drawing) order; unknown ids raise MapOptionsError."""
    if visible is None:
        return tuple(spec for spec in catalog.layers if spec.default_visible)
    unknown = sorted(set(visible) - set(catalog.ids()))
    if unknown:
        raise MapOptionsError(f"no layer {', '.join(map(repr, unknown))} in the catalog")
    wanted = set(visible)
    return tuple(spec for spec in catalog.layers if spec.id in wanted)


def _features_for(ctx: _Context, spec: LayerSpec) -> tuple[DisplayFeature, ...]:
    options = ctx.options
    if spec.id in ctx.parcel_ids and options.parcels is not None:
        return prepare_features(
            options.parcels.get("features", []), options.simplify_deg, ctx.basemap.crs_datum
        )
    features = layer_features(spec, options.simplify_deg, ctx.basemap.crs_datum)
    if spec.id in ctx.parcel_ids and not options.parcel_filter.is_empty:
        features = tuple(f for f in features if options.parcel_filter.matches(f.properties))
    return features


def _browser_properties(ctx: _Context, spec: LayerSpec, feature: DisplayFeature) -> dict:
    """Only what the page uses: id, accuracy, the colour field and the two escaped strings."""
    props = feature.properties
    is_parcel = spec.id in ctx.parcel_ids
    kept: dict[str, Any] = {"id": feature.id, "accuracy": props.get("accuracy")}
    if spec.style.color_by:
        kept[spec.style.color_by] = props.get(spec.style.color_by)
    kept["_tooltip"] = tooltip_html(
        props, spec, ctx.strings, ctx.lang, feature.hectares, is_parcel
    )
    kept["_popup"] = popup_html(
        props, spec, ctx.plan, ctx.strings, ctx.lang, feature.hectares, is_parcel
    )
    return kept


def _collection(ctx: _Context, spec: LayerSpec, features: Sequence[DisplayFeature]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": _browser_properties(ctx, spec, feature),
                "geometry": feature.geometry,
            }
            for feature in features
        ],
    }


def _attribution(spec: LayerSpec, lang: str) -> str:
    return escape(spec.attribution(lang) or "")


def _layer_rules(ctx: _Context, spec: LayerSpec) -> dict[str, Any]:
    style = spec.style
    point = spec.geometry == "point"
    base = {
        "color": style.color,
        "weight": style.weight,
        "opacity": 1.0,
        "fillColor": style.fill_color or style.color,
        "fillOpacity": style.fill_opacity,
        "fill": spec.geometry != "line",
    }
    if style.dash_array:
        base["dashArray"] = style.dash_array
    pane = ctx.parcel_pane if spec.id in ctx.parcel_ids else None
    if point:
        base["radius"] = style.radius or ctx.rules.points["radius"]
        if not style.fill_color:
            base["fillOpacity"] = ctx.rules.points["fill_opacity"]
    accuracy = {
        level: {
            "dashArray": None if point else values.get("dash_array"),
            "opacityFactor": values.get("opacity_factor", 1.0),
            "fillOpacityFactor": values.get("fill_opacity_factor", 1.0),
        }
        for level, values in ctx.rules.accuracy.items()
    }
    rules = {
        "base": base,
        "colorBy": style.color_by,
        "palette": dict(style.palette),
        "accuracy": accuracy,
        "interactive": True,
        "attribution": _attribution(spec, ctx.lang),
    }
    if pane:
        rules["pane"] = pane
    return rules


def _plain_rules(colour: str, weight: float, opacity: float, fill_colour: str,
                 fill_opacity: float, interactive: bool, radius: float,
                 pane: str | None = None) -> dict[str, Any]:
    rules = {
        "base": {
            "color": colour, "weight": weight, "opacity": opacity, "fillColor": fill_colour,
            "fillOpacity": fill_opacity, "radius": radius,
        },
        "colorBy": None,
        "palette": {},
        "accuracy": {},
        "interactive": interactive,
        "attribution": "",
    }
    if pane:
        rules["pane"] = pane
    return rules


def _group_label(ctx: _Context, spec: LayerSpec) -> str:
    group = ctx.catalog.groups.get(spec.group)
    group_name = group.name(ctx.lang) if group else spec.group
    # Leaflet's layer control writes names as HTML.
    return html_text(f"{group_name} · {spec.name(ctx.lang)}")


def _backdrop_group(ctx: _Context, source: Basemap, visible_ids: set[str],
                    pane: str | None = None) -> folium.FeatureGroup | None:
    """``source``'s backdrop layers, faint, as a group not yet on the map (None: nothing)."""
    wanted = [i for i in source.backdrop_layers if i in ctx.catalog.ids() and i not in visible_ids]
    if not wanted:
        return None
    # Shown only when the map adds it (the fallback under online tiles), else at once.
    group = folium.FeatureGroup(name="backdrop", overlay=True, control=False, show=pane is None)
    look = ctx.rules.backdrop
    for layer_id in wanted:
        spec = ctx.catalog.layer(layer_id)
        # Drawn in the datum of the page's tiles, like every other layer.
        features = layer_features(spec, ctx.options.simplify_deg, ctx.basemap.crs_datum)
        data = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": f.geometry} for f in features
            ],
        }
        rules = _plain_rules(
            source.backdrop_color, look["weight"], look["opacity"], source.backdrop_color,
            look["fill_opacity"], interactive=False, radius=2, pane=pane,
        )
        SafeGeoJsonLayer(data, rules, union_bounds(f.bounds for f in features)).add_to(group)
    return group


def _add_backdrop(ctx: _Context, m: folium.Map, visible_ids: set[str]) -> bool:
    group = _backdrop_group(ctx, ctx.basemap, visible_ids)
    if group is None:
        return False
    group.add_to(m)
    return True


def _add_tile_fallback(ctx: _Context, m: folium.Map, tile_layers: Sequence[Any],
                       visible_ids: set[str]) -> None:
    """When the tiles cannot be fetched: the offline backdrop beneath, and a notice."""
    fallback = ctx.fallback
    group = None
    if fallback is not None:
        pane = add_backdrop_pane(m)
        group = _backdrop_group(ctx, fallback, visible_ids, pane=pane)
        if group is not None:
            group.add_to(m)
    add_tile_fallback(
        m, tile_layers, group,
        background=fallback.background if fallback else ctx.basemap.background,
        text=ctx.strings.get("map.tiles_unreachable", ctx.lang),
    )


def _display_lonlat(ctx: _Context, lon: float, lat: float) -> tuple[float, float]:
    x, y = to_display_datum((lon, lat), ctx.basemap)
    return float(x), float(y)


def _display_bounds(ctx: _Context, bounds: Bounds) -> Bounds:
    (south, west), (north, east) = bounds
    x1, y1 = _display_lonlat(ctx, west, south)
    x2, y2 = _display_lonlat(ctx, east, north)
    return ((min(y1, y2), min(x1, x2)), (max(y1, y2), max(x1, x2)))


def _add_marker(ctx: _Context, m: folium.Map, lon: float, lat: float) -> tuple[float, float]:
    """A typed point, marked like a selection; returns where it is drawn (lat, lon)."""
    x, y = _display_lonlat(ctx, lon, lat)
    name = ctx.strings.get("map.goto_marker", ctx.lang)
    look = ctx.rules.highlight
    rules = _plain_rules(
        look["color"], look["weight"], look["opacity"], look["color"], look["fill_opacity"],
        interactive=True, radius=look["radius"], pane=ctx.parcel_pane,
    )
    data = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"_tooltip": escape(f"{name} · WGS84 {lon:.6f}, {lat:.6f}")},
            "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
        }],
    }
    group = folium.FeatureGroup(name=html_text(name), overlay=True, control=True)
    SafeGeoJsonLayer(data, rules, ((y, x), (y, x))).add_to(group)
    group.add_to(m)
    return y, x


def _tile_feature(ctx: _Context, feature_id: str) -> DisplayFeature | None:
    """The selected parcel as the app handed it (the tiles cannot be searched)."""
    found = ctx.tiles.highlight if ctx.tiles is not None else None
    if found is None or str((found.get("properties") or {}).get("id")) != feature_id:
        return None
    return prepare_features([found], ctx.options.simplify_deg, ctx.basemap.crs_datum)[0]


def _find_feature(ctx: _Context, feature_id: str) -> tuple[LayerSpec, DisplayFeature]:
    for spec in ctx.catalog.layers:
        if ctx.tiles is not None and spec.id in ctx.parcel_ids:
            feature = _tile_feature(ctx, feature_id)
            if feature is not None:
                return spec, feature
            continue
        for feature in _features_for(ctx, spec):
            if feature.id == feature_id:
                return spec, feature
    raise MapOptionsError(f"no feature with id {feature_id!r} in any layer")


def _add_highlight(ctx: _Context, m: folium.Map, feature_id: str) -> Bounds:
    spec, feature = _find_feature(ctx, feature_id)
    look = ctx.rules.highlight
    rules = _plain_rules(
        look["color"], look["weight"], look["opacity"], look["color"], look["fill_opacity"],
        interactive=True, radius=look["radius"], pane=ctx.parcel_pane,
    )
    data = _collection(ctx, spec, [feature])
    group = folium.FeatureGroup(
        name=html_text(ctx.strings.get("map.highlight", ctx.lang)), overlay=True, control=True
    )
    SafeGeoJsonLayer(data, rules, feature.bounds).add_to(group)
    group.add_to(m)
    return feature.bounds


def _add_controls(ctx: _Context, m: folium.Map, page: _Page) -> None:
    options, strings, lang, assets = ctx.options, ctx.strings, ctx.lang, page.assets
    if options.fullscreen_control and assets.has(*FULLSCREEN[0], *FULLSCREEN[1]):
        control = Fullscreen(
            position="topleft",
            title=strings.get("map.fullscreen", lang),
            title_cancel=strings.get("map.fullscreen_exit", lang),
        )
        page.add_plugin(m, control, *FULLSCREEN)
    datum = DisplayDatum(ctx.basemap.crs_datum)
    datum.add_to(m)
    measure_js = MEASURE_JS[lang]
    if options.measure_control and assets.has(measure_js, *MEASURE_CSS):
        if ctx.basemap.crs_datum != "wgs84":
            page.add_plugin(m, MeasureInWgs84(datum))
        control = MeasureControl(
            position="topleft",
            primary_length_unit="kilometers",
            secondary_length_unit="meters",
            primary_area_unit="hectares",
            secondary_area_unit="sqmeters",
        )
        page.add_plugin(m, control, (measure_js,), MEASURE_CSS)
    ScaleBar().add_to(m)
    ClickCoordinates(
        hint=strings.get("map.click_hint", lang),
        label=f"WGS84 {strings.get('map.east', lang)}/{strings.get('map.north', lang)}",
        datum=datum,
    ).add_to(m)


def _initial_view(ctx: _Context, layer_bounds: Bounds | None, highlight: Bounds | None,
                  marker: tuple[float, float] | None = None,
                  ) -> tuple[tuple[float, float], int, Bounds | None]:
    """Centre, zoom and bounds to fit, in display coordinates (the options give WGS84)."""
    options = ctx.options
    requested = _display_bounds(ctx, options.fit_bounds) if options.fit_bounds else None
    fit = requested or highlight
    if fit is None and marker is not None:
        return marker, options.zoom or GOTO_ZOOM, None
    if fit is None and options.center is None:
        fit = layer_bounds
    if fit is not None:
        (south, west), (north, east) = fit
        return ((south + north) / 2, (west + east) / 2), options.zoom or 10, fit
    if options.center is not None:
        lat, lon = options.center
        x, y = _display_lonlat(ctx, lon, lat)
        return (y, x), options.zoom or 12, None
    x, y = _display_lonlat(ctx, 125.66, 43.52)
    return (y, x), options.zoom or 10, None


def _add_parcel_tiles(ctx: _Context, spec: LayerSpec, page: _Page,
                      group: folium.FeatureGroup) -> Bounds | None:
    """The parcel layer drawn from its archive (or, while no archive can be drawn, the
    dashed outline of the parcels' extent); returns its bounds."""
    tiles = ctx.tiles
    assert tiles is not None
    if tiles.url is None:
        if tiles.bounds is not None:
            folium.Rectangle(
                [list(tiles.bounds[0]), list(tiles.bounds[1])],
                color=spec.style.color, weight=2, dash_array="8 6", fill=False,
                interactive=True, pane=ctx.parcel_pane or "overlayPane",
                tooltip=html_text(ctx.strings.get("map.parcel_tiles.outline", ctx.lang)),
            ).add_to(group)
        return tiles.bounds
    field = spec.style.color_by
    labels = {
        value: ctx.strings.get(f"palette.{field}.{value}", ctx.lang)
        for value in spec.style.palette
        if f"palette.{field}.{value}" in ctx.strings
    }
    layer = ParcelTileLayer(
        tile_rules(_layer_rules(ctx, spec), ctx.options.parcel_filter, tiles, labels),
        tiles.bounds,
    )
    page.use(layer, TILES_JS, ())
    layer.add_to(group)
    return tiles.bounds


def _tile_notes(ctx: _Context, layers: Sequence[LayerSpec]) -> dict[str, list[str]]:
    """Under a parcel layer drawn from tiles: how many, from which zoom, click for details;
    while its tiles are prepared, what is drawn instead."""
    if ctx.tiles is None:
        return {}
    tiles = ctx.tiles
    if tiles.url is None:
        note = ctx.strings.get("legend.parcel_tiles_outline", ctx.lang)
    elif tiles.out_of_date:
        note = ctx.strings.get("legend.parcel_tiles_out_of_date", ctx.lang,
                               count=f"{tiles.count:,}", zoom=tiles.min_zoom)
    else:
        # A map that answers clicks itself (a page saved to a file) says what its popup
        # holds and where the rest is; the app's says a click asks for the details.
        key = "legend.parcel_tiles" if tiles.popup is None else "export.html.parcel_tiles"
        note = ctx.strings.get(key, ctx.lang, count=f"{tiles.count:,}", zoom=tiles.min_zoom)
    return {spec.id: [note] for spec in layers if spec.id in ctx.parcel_ids}


def build_map(options: MapOptions | None = None,
              control: ControlOverlay | None = None,
              tiles: ParcelTiles | None = None,
              reference_tiles: Mapping[int, ReferenceTiles] | None = None) -> folium.Map:
    """The map for ``options``: plan layers, legend, controls; no outside JS or CSS.

    ``control``: the workspace's control lines (reference layers near the parcels, drawn
    under them, and the check's conflict pieces, over them), prepared once per change by
    :func:`geo_app.mapview.references.control_overlay`. ``tiles``: the parcel layer's
    archive (see :mod:`geo_app.mapview.tiles`), drawn instead of embedded GeoJSON; the
    page then carries no parcel geometry but the selected one's. ``reference_tiles``: the
    archives of the control's big reference layers written so far, by layer id, each
    drawn whole instead of its polygons near the parcels."""
    options = options or MapOptions()
    ctx = _context(options)
    page = _Page(asset_urls(options.asset_mode))
    if tiles is not None and page.assets.has(*TILES_JS):
        ctx = dataclasses.replace(ctx, tiles=tiles)
    layers = visible_layers(ctx.catalog, options.visible_layers)
    visible_ids = {spec.id for spec in layers}

    m = folium.Map(
        location=(43.52, 125.66),
        tiles=None,
        control_scale=False,  # ScaleBar below is metric only
        max_zoom=ctx.basemap.max_zoom,
        height=options.height,
    )
    page.use(m, BASE_JS, BASE_CSS)
    PageStyle(ctx.basemap.background).add_to(m)
    tile_layers = add_tile_layers(m, ctx.choice, ctx.lang)
    backdrop_shown = _add_backdrop(ctx, m, visible_ids)
    if tile_layers:
        _add_tile_fallback(ctx, m, tile_layers, visible_ids)
    if control is not None:
        ctx = dataclasses.replace(ctx, parcel_pane=add_control_panes(m, control))

    bounds = []
    for spec in layers:
        group = folium.FeatureGroup(name=_group_label(ctx, spec), overlay=True, control=True)
        if ctx.tiles is not None and spec.id in ctx.parcel_ids:
            tile_bounds = _add_parcel_tiles(ctx, spec, page, group)
            if tile_bounds is not None:
                bounds.append(tile_bounds)
            group.add_to(m)
            continue
        features = _features_for(ctx, spec)
        layer_bounds = union_bounds(f.bounds for f in features)
        if layer_bounds is not None:
            bounds.append(layer_bounds)
        SafeGeoJsonLayer(
            _collection(ctx, spec, features), _layer_rules(ctx, spec), layer_bounds
        ).add_to(group)
        group.add_to(m)
    if not page.assets.has(*TILES_JS):
        reference_tiles = None
    control_legend = (
        add_control_overlay(m, control, ctx.strings, ctx.lang, reference_tiles,
                            use=lambda element: page.use(element, TILES_JS, ()))
        if control is not None else []
    )

    highlight = _add_highlight(ctx, m, options.highlight_id) if options.highlight_id else None
    marker = _add_marker(ctx, m, *options.marker_lonlat) if options.marker_lonlat else None
    datum_note = (
        ctx.strings.get("map.gcj02_note", ctx.lang) if ctx.basemap.crs_datum == "gcj02" else None
    )
    Legend(
        legend_html(ctx.catalog, layers, ctx.basemap, ctx.rules, ctx.strings, ctx.lang,
                    backdrop_shown, datum_note, control_legend, _tile_notes(ctx, layers))
    ).add_to(m)
    _add_controls(ctx, m, page)
    page.add_late_plugins(m)
    add_approval(m, ctx.options.settings, ctx.lang)
    LayerSwitcher(position="topright", collapsed=True).add_to(m)

    center, zoom, fit = _initial_view(ctx, union_bounds(bounds), highlight, marker)
    m.location = list(center)
    m.options["zoom"] = zoom
    if fit is not None:
        m.fit_bounds([list(fit[0]), list(fit[1])], max_zoom=16 if highlight else None)
    if page.assets.mode is AssetMode.INLINE:
        m.get_root().header.add_child(page.inline_element(), name="geo_app_inline_assets")
    return m


def render_html(options: MapOptions | None = None) -> str:
    """The full HTML page of ``build_map(options)``."""
    return build_map(options).get_root().render()


def standalone_html(options: MapOptions | None = None) -> str:
    """One self-contained HTML document: vendored JS/CSS inlined, opens from disk offline."""
    options = dataclasses.replace(options or MapOptions(), asset_mode=AssetMode.INLINE.value)
    return render_html(options)


def layer_display_data(options: MapOptions, layer_id: str) -> Mapping[str, Any]:
    """The FeatureCollection a layer sends to the browser (for inspection and tests)."""
    ctx = _context(options)
    spec = ctx.catalog.layer(layer_id)
    return _collection(ctx, spec, _features_for(ctx, spec))
