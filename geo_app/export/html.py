"""The interactive map as one HTML file that opens from disk with no network.

It is the web map itself (``mapview.standalone_html``: Leaflet and plugins inlined, the
offline basemap, the same layers, legend and popups), opened on the export's extent.

Above the tile threshold (:func:`geo_app.workspace.tile_file.tile_threshold`) the parcels
do not travel as GeoJSON, which at 100,000 parcels made a page of 86 MB that a browser
struggles to open: the export's parcels are written to a PMTiles archive, as the app
writes the workspace's, and the page carries it (base64) and draws it as the app's map
draws its tiles, reading the archive from memory instead of a server. A click opens a
popup from the tile's own values (id, status, town, quarter, accuracy); the legend says the
other details are in the data exports.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import tempfile
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd

from geo_app.assets import AssetMode, asset_urls
from geo_app.assets.vendor import load_vendor
from geo_app.basemaps.settings import configured_basemaps
from geo_app.catalog import Catalog, LayerSpec, load_catalog
from geo_app.export.request import ExportRequest
from geo_app.export.scene import Scene
from geo_app.export.sheet_panels import sheet_title
from geo_app.i18n import Strings, load_strings
from geo_app.ledger import UNKNOWN
from geo_app.mapview import MapOptions, ParcelTiles, build_map, standalone_html
from geo_app.mapview.elements import InlineAssets, RawMacroElement, template
from geo_app.mapview.features import parcel_layer_ids
from geo_app.mapview.tiles import TILES_JS, page_archive_url, tile_popup
from geo_app.plan import load_plan
from geo_app.workspace.tile_file import tile_parcels, tile_threshold, write_archive

OFFLINE_BASEMAP = "offline"
# vendor.toml's library and resource that read an archive the page carries.
ARCHIVE_READER = ("pmtiles", "pmtiles_js")
# The page element that carries the parcels' archive.
ARCHIVE_ELEMENT = "geo-app-parcel-archive"
# The tile's values a parcel's popup shows under its id, with their labels.
POPUP_FIELDS = ("status", "town", "quarter", "accuracy")


def html_bytes(scene: Scene, request: ExportRequest) -> bytes:
    west, south, east, north = scene.bbox
    options = MapOptions(
        catalog=_scene_catalog(scene),
        visible_layers=tuple(spec.id for spec in scene.specs),
        lang=request.lang,
        basemap=OFFLINE_BASEMAP,
        fit_bounds=((south, west), (north, east)),
    )
    parcel_layer = _scene_parcel_layer(scene)
    tiled = parcel_layer is not None and len(parcel_layer[1]) > tile_threshold()
    # Without the libraries that draw tiles (not fetched), GeoJSON still draws every parcel.
    reader = _archive_reader() if tiled else None
    if parcel_layer is not None and reader is not None:
        page = _tiled_page(options, *parcel_layer, reader)
    else:
        parcels = None if parcel_layer is None else _geojson(parcel_layer[1])
        page = standalone_html(dataclasses.replace(options, parcels=parcels))
    return _with_title(page, sheet_title(request), request.lang).encode("utf-8")


def _scene_catalog(scene: Scene) -> Catalog:
    """The catalog with the scene's own layer specs: a workspace's parcels are not samples,
    and the page must not call them so."""
    catalog = scene.catalog or load_catalog()
    specs = {spec.id: spec for spec in scene.specs}
    layers = tuple(specs.get(spec.id, spec) for spec in catalog.layers)
    return dataclasses.replace(catalog, layers=layers)


def _scene_parcel_layer(scene: Scene) -> tuple[LayerSpec, gpd.GeoDataFrame] | None:
    """The parcels the scene holds (a workspace's, or filtered), so the page draws the same
    parcels as the sheet and the tables, not the layer file's."""
    parcel_ids = parcel_layer_ids(scene.catalog or load_catalog(), load_plan())
    for layer in scene.layers:
        if layer.spec.id in parcel_ids:
            return layer.spec, layer.frame
    return None


def _geojson(frame: gpd.GeoDataFrame) -> Mapping[str, Any]:
    frame = frame.drop(columns="hectares", errors="ignore")
    return json.loads(frame.to_json(drop_id=True, to_wgs84=True))


def _archive_reader() -> str | None:
    """The script that reads an archive from the page, None when it or the tile drawing
    library is not fetched (the page then carries GeoJSON, as a small export does)."""
    library_id, resource = ARCHIVE_READER
    libraries = tuple(lib for lib in load_vendor() if lib.id in (library_id, "protomaps-leaflet"))
    assets = asset_urls(AssetMode.INLINE, libraries=libraries)
    if not assets.has(resource, *TILES_JS):
        return None
    return assets[resource]


class PageArchive(RawMacroElement):
    """An archive carried in the page as base64 (templates/page_archive.js)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []

    def __init__(self, element_id: str, data: bytes):
        super().__init__()
        self._name = "GeoAppPageArchive"
        self._template = template("page_archive.js")
        self.element_id = element_id
        # Base64's letters, digits, "+", "/" and "=" can never close the tag they are in.
        self.data = base64.b64encode(data).decode("ascii")


def _tiled_page(options: MapOptions, spec: LayerSpec, frame: gpd.GeoDataFrame,
                reader: str) -> str:
    """The page with the parcels as an archive it carries (see the module's text)."""
    datum = configured_basemaps().registry.get(OFFLINE_BASEMAP).crs_datum
    with tempfile.TemporaryDirectory(prefix="geo-app-html-") as folder:
        lonlat = frame if frame.crs is None or frame.crs.equals("EPSG:4326") else (
            frame.to_crs("EPSG:4326"))
        built = write_archive(tile_parcels(lonlat), Path(folder) / "parcels.pmtiles", datum)
        data = built.path.read_bytes()
    strings = load_strings()
    bounds = None
    if built.bounds is not None:
        west, south, east, north = built.bounds
        bounds = ((south, west), (north, east))
    tiles = ParcelTiles(
        url=page_archive_url(ARCHIVE_ELEMENT), bounds=bounds, min_zoom=built.min_zoom,
        max_zoom=built.max_zoom, layer=built.layer, count=built.count,
        popup=_popup(strings, options.lang, frame, spec),
    )
    m = build_map(dataclasses.replace(options, asset_mode=AssetMode.INLINE.value), tiles=tiles)
    m.get_root().header.add_child(InlineAssets(styles=[], scripts=[reader]),
                                  name="geo_app_archive_reader")
    PageArchive(ARCHIVE_ELEMENT, data).add_to(m)
    del data
    return m.get_root().render()


def _popup(strings: Strings, lang: str, frame: gpd.GeoDataFrame,
           spec: LayerSpec) -> dict[str, Any]:
    unknown = strings.get("app.land.unknown", lang)
    statuses = frame["status"].dropna().unique() if "status" in frame.columns else ()
    status_words = {
        str(value): strings.get(f"parcel.status.{value}", lang)
        for value in statuses if f"parcel.status.{value}" in strings
    }
    accuracy_words = {
        level: strings.get(f"accuracy.{level}", lang)
        for level in ("surveyed", "approximate", "schematic")
    }
    words = {
        "status": {**status_words, UNKNOWN: unknown},
        "town": {UNKNOWN: unknown},
        "quarter": {UNKNOWN: unknown},
        "accuracy": accuracy_words,
    }
    sample = strings.get("popup.sample_data", lang) if spec.sample_data else None
    return tile_popup(
        [(field, strings.get(f"popup.{field}", lang)) for field in POPUP_FIELDS], words,
        strings.get("export.html.parcel_popup_more", lang), sample,
    )


def _with_title(page: str, title: str, lang: str) -> str:
    """Give the page a <title> (the browser tab and file managers show it) and a language."""
    if "<title>" not in page and "<head>" in page:
        page = page.replace("<head>", f"<head>\n    <title>{escape(title)}</title>", 1)
    html_lang = "zh-CN" if lang == "zh" else "en"
    if page.lstrip().lower().startswith("<!doctype html>") and "<html>" in page:
        page = page.replace("<html>", f'<html lang="{html_lang}">', 1)
    return page
