"""The interactive map as one HTML file that opens from disk with no network.

It is the web map itself (``mapview.standalone_html``: Leaflet and plugins inlined, the
offline basemap, the same layers, legend and popups), opened on the export's extent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from html import escape
from typing import Any

from geo_app.catalog import Catalog, load_catalog
from geo_app.export.request import ExportRequest
from geo_app.export.scene import Scene
from geo_app.export.sheet_panels import sheet_title
from geo_app.mapview import MapOptions, standalone_html
from geo_app.mapview.features import parcel_layer_ids
from geo_app.plan import load_plan

OFFLINE_BASEMAP = "offline"


def html_bytes(scene: Scene, request: ExportRequest) -> bytes:
    west, south, east, north = scene.bbox
    options = MapOptions(
        catalog=_scene_catalog(scene),
        visible_layers=tuple(spec.id for spec in scene.specs),
        lang=request.lang,
        basemap=OFFLINE_BASEMAP,
        fit_bounds=((south, west), (north, east)),
        parcels=_scene_parcels(scene),
    )
    page = standalone_html(options)
    return _with_title(page, sheet_title(request), request.lang).encode("utf-8")


def _scene_catalog(scene: Scene) -> Catalog:
    """The catalog with the scene's own layer specs: a workspace's parcels are not samples,
    and the page must not call them so."""
    catalog = scene.catalog or load_catalog()
    specs = {spec.id: spec for spec in scene.specs}
    layers = tuple(specs.get(spec.id, spec) for spec in catalog.layers)
    return dataclasses.replace(catalog, layers=layers)


def _scene_parcels(scene: Scene) -> Mapping[str, Any] | None:
    """The parcels the scene holds (a workspace's, or filtered), so the page draws the same
    parcels as the sheet and the tables, not the layer file's."""
    parcel_ids = parcel_layer_ids(scene.catalog or load_catalog(), load_plan())
    for layer in scene.layers:
        if layer.spec.id in parcel_ids:
            frame = layer.frame.drop(columns="hectares", errors="ignore")
            return json.loads(frame.to_json(drop_id=True, to_wgs84=True))
    return None


def _with_title(page: str, title: str, lang: str) -> str:
    """Give the page a <title> (the browser tab and file managers show it) and a language."""
    if "<title>" not in page and "<head>" in page:
        page = page.replace("<head>", f"<head>\n    <title>{escape(title)}</title>", 1)
    html_lang = "zh-CN" if lang == "zh" else "en"
    if page.lstrip().lower().startswith("<!doctype html>") and "<html>" in page:
        page = page.replace("<html>", f'<html lang="{html_lang}">', 1)
    return page
