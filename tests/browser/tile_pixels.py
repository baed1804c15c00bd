"""Looking at vector tiles as a planner sees them: the map frame once a tiled layer is on it,
and whether that layer paints a point (read from the tile's canvas at a close zoom).

``marker`` names the property the product's JavaScript sets on its tiled layers
(``geoAppParcelTiles``, ``geoAppReferenceTiles``)."""

from __future__ import annotations

import time

from app_server import MAP_FRAME
from playwright.sync_api import Error as PlaywrightError

_HAS_LAYER = """(body, marker) => {
    if (typeof map_div === 'undefined' || !map_div.eachLayer) return false;
    let found = false;
    map_div.eachLayer(l => { if (marker in l) found = true; });
    return found;
}"""

# Null until the map shows the point at ``zoom`` and its tile has loaded; then the pixel's
# RGBA on the tile's canvas.
_PIXEL = """(body, [marker, lat, lng, zoom]) => {
    if (map_div.getZoom() !== zoom || !map_div.getBounds().pad(-0.3).contains([lat, lng])) {
        map_div.setView([lat, lng], zoom, {animate: false});
        return null;
    }
    let layer = null;
    map_div.eachLayer(l => { if (marker in l) layer = l; });
    const size = layer.getTileSize();
    const p = map_div.project([lat, lng], zoom);
    const key = Math.floor(p.x / size.x) + ':' + Math.floor(p.y / size.y) + ':' + zoom;
    const tile = layer._tiles[key];
    if (!tile || !tile.loaded) return null;
    const ratio = tile.el.width / size.x;
    const x = Math.floor((p.x - Math.floor(p.x / size.x) * size.x) * ratio);
    const y = Math.floor((p.y - Math.floor(p.y / size.y) * size.y) * ratio);
    return Array.from(tile.el.getContext('2d').getImageData(x, y, 1, 1).data);
}"""


def tiled_map(page, marker: str, timeout_s: float):
    """The map's frame once it is the only one and draws a layer marked ``marker``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.locator(MAP_FRAME).count() == 1:
            frame = page.frame_locator(MAP_FRAME)
            if _evaluate(frame, _HAS_LAYER, marker):
                return frame
        time.sleep(0.2)
    raise AssertionError(f"no map with a layer marked {marker}")


def painted(frame, marker: str, lat: float, lon: float, zoom: int,
            timeout_s: float = 30) -> bool:
    """Whether the layer marked ``marker`` paints ``lat``, ``lon`` at ``zoom``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pixel = _evaluate(frame, _PIXEL, [marker, lat, lon, zoom])
        if pixel is not None:
            # Tiles are painted a moment after they load; look once more after a pause.
            time.sleep(0.5)
            pixel = _evaluate(frame, _PIXEL, [marker, lat, lon, zoom])
            if pixel is not None:
                return pixel[3] > 0
        time.sleep(0.2)
    raise AssertionError(f"the tile of the layer marked {marker} was not drawn")


def _evaluate(frame, script: str, argument) -> object:
    """``script`` in the map's frame; None while the page is redrawing its map (for a moment
    an old and a new map frame are both on the page, or the frame is being replaced)."""
    try:
        return frame.locator("body").evaluate(script, argument)
    except PlaywrightError:
        return None
