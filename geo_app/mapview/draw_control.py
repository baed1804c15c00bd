"""The map's drawing tools for parcels: Leaflet.draw, polygons and rectangles only.

Leaflet.draw comes from ``static/vendor`` like every other plugin (vendor.toml), never a
CDN. Its toolbar and tooltips speak the page's language, and one shape is kept at a time:
starting a new one clears the last, so the shape the form describes is the one on screen.
"""

from __future__ import annotations

from html import escape

import folium
from branca.element import MacroElement
from folium.plugins import Draw

from geo_app.assets import AssetMode, AssetSet, asset_urls
from geo_app.i18n import load_strings
from geo_app.mapview.elements import template

DRAW_JS = ("draw_js",)
DRAW_CSS = ("draw_css",)
DRAW_OPTIONS = {
    "polyline": False,
    "circle": False,
    "circlemarker": False,
    "marker": False,
    # Leaflet.draw 1.0.4 fails on its own area readout ("type is not defined"); the page
    # shows ellipsoidal hectares instead, which a web-map readout would not be anyway.
    "polygon": {"allowIntersection": False, "showArea": False},
    "rectangle": {"showArea": False},
}
# Drawn shapes are not edited in place: the parcel form says what is saved.
EDIT_OPTIONS = {"edit": False, "remove": False}
# Leaflet.draw's text (L.drawLocal.draw) -> our string names.
_TEXTS = {
    "toolbar.buttons.polygon": "map.draw.polygon",
    "toolbar.buttons.rectangle": "map.draw.rectangle",
    "toolbar.actions.title": "map.draw.cancel_title",
    "toolbar.actions.text": "map.draw.cancel",
    "toolbar.finish.title": "map.draw.finish_title",
    "toolbar.finish.text": "map.draw.finish",
    "toolbar.undo.title": "map.draw.undo_title",
    "toolbar.undo.text": "map.draw.undo",
    "handlers.polygon.tooltip.start": "map.draw.polygon_start",
    "handlers.polygon.tooltip.cont": "map.draw.polygon_cont",
    "handlers.polygon.tooltip.end": "map.draw.polygon_end",
    "handlers.polyline.error": "map.draw.cross_error",
    "handlers.rectangle.tooltip.start": "map.draw.rectangle_start",
    "handlers.simpleshape.tooltip.end": "map.draw.shape_end",
}


class DrawingUnavailable(RuntimeError):
    """Leaflet.draw is not installed (an optional plugin); the reason says why."""


class _DrawingSetup(MacroElement):
    """Words for the toolbar, set before it is built; one drawn shape at a time."""

    _template = template("drawing_setup.js")

    def __init__(self, texts: dict[str, str], group: folium.FeatureGroup):
        super().__init__()
        self._name = "DrawingSetup"
        self.texts = texts
        self.group = group


def drawing_texts(lang: str) -> dict[str, str]:
    """Leaflet.draw writes these as HTML, so they are escaped."""
    strings = load_strings()
    return {path: escape(strings.get(name, lang)) for path, name in _TEXTS.items()}


def add_draw_control(
    folium_map: folium.Map, lang: str, assets: AssetSet | None = None
) -> folium.FeatureGroup:
    """Add the drawing tools to ``folium_map`` (a page served with the vendored files);
    returns the group that holds the drawn shape."""
    assets = assets if assets is not None else asset_urls(AssetMode.SERVED)
    if not assets.has(*DRAW_JS, *DRAW_CSS):
        reason = assets.unavailable.get(DRAW_JS[0], "not installed")
        raise DrawingUnavailable(reason)
    group = folium.FeatureGroup(name="drawn-parcel", overlay=True, control=False)
    group.add_to(folium_map)
    _DrawingSetup(drawing_texts(lang), group).add_to(folium_map)
    control = Draw(
        position="topleft",
        feature_group=group,
        show_geometry_on_click=False,
        draw_options=DRAW_OPTIONS,
        edit_options=EDIT_OPTIONS,
    )
    # Instance attributes: folium's class-level CDN links stay untouched for other code.
    control.default_js = assets.links(*DRAW_JS)
    control.default_css = assets.links(*DRAW_CSS)
    control.add_to(folium_map)
    return group
