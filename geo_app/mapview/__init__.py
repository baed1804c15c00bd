"""The plan's map as a folium Map: pure core, no Streamlit.

``build_map(MapOptions(...))`` draws the catalog's layers with escaped tooltips and popups,
a legend, a grouped layer control, a scale bar, full-screen and measuring controls and a
coordinate readout, all from vendored JS/CSS (served or inlined, never a CDN).
``standalone_html`` is the same map as one offline HTML file. ``search_features``,
``search_features`` and ``describe_point`` serve the app's side panel. ``control_overlay``
prepares the workspace's control lines (reference layers near the parcels, the check's
conflict pieces) for ``build_map(options, control)``; ``ParcelTiles`` names the archive
a big workspace's parcels are drawn from (``build_map(options, control, tiles)``);
``ReferenceTiles`` the archive of a big reference layer, drawn whole
(``build_map(options, control, tiles, reference_tiles)``).
"""

from geo_app.mapview.builder import (
    MapOptionsError,
    build_map,
    layer_display_data,
    render_html,
    standalone_html,
    visible_layers,
)
from geo_app.mapview.options import Bounds, MapOptions, ParcelFilter
from geo_app.mapview.points import describe_point
from geo_app.mapview.references import ControlOverlay, ReferenceTiles, control_overlay
from geo_app.mapview.search import FeatureMatch, search_features
from geo_app.mapview.tiles import ParcelTiles

__all__ = [
    "Bounds",
    "ControlOverlay",
    "FeatureMatch",
    "MapOptions",
    "MapOptionsError",
    "ParcelFilter",
    "ParcelTiles",
    "ReferenceTiles",
    "build_map",
    "control_overlay",
    "describe_point",
    "layer_display_data",
    "render_html",
    "search_features",
    "standalone_html",
    "visible_layers",
]
