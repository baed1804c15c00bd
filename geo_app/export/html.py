"""The interactive map as one HTML file that opens from disk with no network.

It is the web map itself (``mapview.standalone_html``: Leaflet and plugins inlined, the
offline basemap, the same layers, legend and popups), opened on the export's extent.
"""

from __future__ import annotations

from html import escape

from geo_app.export.request import ExportRequest
from geo_app.export.scene import Scene
from geo_app.export.sheet_panels import sheet_title
from geo_app.mapview import MapOptions, standalone_html

OFFLINE_BASEMAP = "offline"


def html_bytes(scene: Scene, request: ExportRequest) -> bytes:
    west, south, east, north = scene.bbox
    options = MapOptions(
        catalog=scene.catalog,
        visible_layers=tuple(spec.id for spec in scene.specs),
        lang=request.lang,
        basemap=OFFLINE_BASEMAP,
        fit_bounds=((south, west), (north, east)),
    )
    page = standalone_html(options)
    return _with_title(page, sheet_title(request), request.lang).encode("utf-8")


def _with_title(page: str, title: str, lang: str) -> str:
    """Give the page a <title> (the browser tab and file managers show it) and a language."""
    if "<title>" not in page and "<head>" in page:
        page = page.replace("<head>", f"<head>\n    <title>{escape(title)}</title>", 1)
    html_lang = "zh-CN" if lang == "zh" else "en"
    if page.lstrip().lower().startswith("<!doctype html>") and "<html>" in page:
        page = page.replace("<html>", f'<html lang="{html_lang}">', 1)
    return page
