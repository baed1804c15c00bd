"""Online tiles on the map: the chosen basemap's tile layers, what the page does when they
cannot be fetched, and the approval number (审图号) in the attribution corner."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
from folium.map import CustomPane

from geo_app.basemaps.lookup import Lookup
from geo_app.basemaps.publishing import ApprovalNumberError, approval_number, approval_text
from geo_app.basemaps.settings import BasemapChoice
from geo_app.mapview.elements import Attribution, TileFallback, html_text

# The offline backdrop under online tiles: its own pane, above the tiles (200) and below
# the plan layers (400), so it lands beneath them whenever it is added.
BACKDROP_PANE = "gmBackdrop"
BACKDROP_PANE_Z = 350


def add_tile_layers(m: folium.Map, choice: BasemapChoice, lang: str) -> list[folium.TileLayer]:
    """The basemap's tile layers (base, then annotation); the URLs may carry its key."""
    basemap = choice.shown
    layers = []
    for spec in choice.tiles:
        extra = {"subdomains": spec.subdomains} if spec.subdomains else {}
        layer = folium.TileLayer(
            tiles=spec.url,
            # Leaflet lists an attribution once however many layers share it.
            attr=basemap.attribution(lang).replace("{", "&#123;"),
            name=html_text(basemap.name(lang)),
            max_zoom=basemap.max_zoom,
            min_zoom=basemap.min_zoom,
            overlay=spec.overlay,
            control=False,
            **extra,
        )
        layer.add_to(m)
        layers.append(layer)
    return layers


def add_backdrop_pane(m: folium.Map) -> str:
    """The pane the fallback backdrop is drawn in; returns its name."""
    CustomPane(BACKDROP_PANE, z_index=BACKDROP_PANE_Z, pointer_events=False).add_to(m)
    return BACKDROP_PANE


def add_tile_fallback(m: folium.Map, tile_layers: Sequence[folium.TileLayer],
                      backdrop: folium.FeatureGroup | None, background: str, text: str) -> None:
    """When the tiles cannot be fetched: ``backdrop`` added beneath the layers, ``text`` shown."""
    TileFallback(tile_layers, backdrop, text=text, background=background).add_to(m)


def add_approval(m: folium.Map, settings: Lookup, lang: str) -> None:
    """The configured approval number in the attribution corner; nothing when unset."""
    try:
        number = approval_number(settings)
    except ApprovalNumberError:
        # A misconfigured number is reported by the app; the map still draws.
        return
    if number:
        Attribution(escape(approval_text(number, lang))).add_to(m)
