"""A big reference layer in the system Chromium: a 三调 land-use layer of 2,500 polygons
(above the tile threshold) is drawn whole from its vector tiles, far from any parcel too,
with no polygon carried in the page; hovering a polygon names its class from the tile, a
click opens its popup from the tile (class, id) and the server names its columns under the
map. The page says the tiles are
being prepared until they are, then draws them by itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import shapely
from app_server import MAP_FRAME, StreamlitServer
from conftest import APP, _server_env
from playwright.sync_api import expect
from shapely.geometry import mapping
from tile_pixels import painted, tiled_map

from geo_app.control import read_reference
from geo_app.i18n import load_strings
from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.tile_file import THRESHOLD_ENV

pytestmark = pytest.mark.browser

STRINGS = load_strings()
SIDE = 50
CELL = (0.004, 0.003)
WEST, SOUTH = 125.45, 43.45
CLASSES = ("水田", "旱地", "乔木林地", "坑塘水面")
# A polygon more than ten kilometres from every parcel: drawn only when the layer is
# drawn whole (the page's own copy keeps to 500 m around the parcels).
FAR = 40 * SIDE + 40
ZOOM = 14
REFERENCE_TILES = "geoAppReferenceTiles"


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def _field(k: int) -> shapely.Polygon:
    i, j = k // SIDE, k % SIDE
    x, y = WEST + i * CELL[0], SOUTH + j * CELL[1]
    return shapely.box(x, y, x + CELL[0] * 0.8, y + CELL[1] * 0.8)


def _class(k: int) -> str:
    return CLASSES[k % len(CLASSES)]


@pytest.fixture(scope="module")
def reference_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    folder = tmp_path_factory.mktemp("reference-tiles")
    workspace = Workspace.open(folder / "workspace", seed=None)
    workspace.import_parcels([
        NewParcel(f"near-{i}", {"status": "planned", "accuracy": "surveyed"},
                  shapely.box(WEST + 0.001 + i * 0.01, SOUTH + 0.001, WEST + 0.006 + i * 0.01,
                              SOUTH + 0.004))
        for i in range(3)
    ], "王工", "地块.geojson")
    path = folder / "三调.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(_field(k)),
         "properties": {"DLMC": _class(k), "BSM": f"TB{k:05d}"}}
        for k in range(SIDE * SIDE)]}, ensure_ascii=False), encoding="utf-8")
    workspace.import_reference(read_reference(path, "landuse", class_field="DLMC"), "王工")
    env = _server_env(folder / "workspace", **{THRESHOLD_ENV: "1000"})
    with StreamlitServer(APP, env=env) as server:
        yield server


def _tiled_map(page, timeout_s: float = 120):
    """The map's frame once it is the only one and draws the layer from its tiles."""
    return tiled_map(page, REFERENCE_TILES, timeout_s)


def painted_at(frame, lat: float, lon: float, timeout_s: float = 30) -> bool:
    return painted(frame, REFERENCE_TILES, lat, lon, ZOOM, timeout_s)


def test_a_big_reference_layer_is_drawn_from_tiles_and_a_click_identifies_a_polygon(
        offline, reference_server):
    page = offline.page
    tile_statuses: list[int] = []
    page.on("response", lambda r: tile_statuses.append(r.status)
            if "/tiles/reference-" in r.url else None)
    page.goto(reference_server.url)
    frame = _tiled_map(page)
    # The whole layer: a polygon far from every parcel is painted, from range requests to
    # the app's own static folder; no polygon travels in the page.
    far = _field(FAR).centroid
    assert painted_at(frame, far.y, far.x)
    # Between two fields nothing is painted (the tiles hold the fields' real shapes).
    gap_x = WEST + 40 * CELL[0] + CELL[0] * 0.9
    assert not painted_at(frame, far.y, gap_x)
    assert 206 in tile_statuses
    html = frame.locator("html").inner_html()
    assert f"TB{FAR:05d}" not in html
    legend = frame.locator(".gm-legend, .leaflet-control").all_inner_texts()
    assert any(zh("map.reference.tiles", count=f"{SIDE * SIDE:,}", zoom=9) in text
               for text in legend)
    # Once the tiles are drawn the page no longer says they are being prepared.
    preparing = zh("app.tiles.preparing", layers="·").split("·")[0]
    expect(page.get_by_text(preparing)).to_have_count(0, timeout=30_000)

    # A click on the far polygon: its popup from the tile, its columns from the server.
    frame.locator("body").evaluate(
        "(body, [lat, lng, zoom]) => map_div.setView([lat, lng], zoom, {animate: false})",
        [far.y, far.x, ZOOM])
    painted_at(frame, far.y, far.x)
    point = frame.locator("body").evaluate(
        "(body, [lat, lng]) => { const p = map_div.latLngToContainerPoint([lat, lng]);"
        " return [p.x, p.y]; }", [far.y, far.x])
    box = page.locator(MAP_FRAME).bounding_box()
    # Hovering names the layer's polygon's class from the tile, with no server round trip.
    page.mouse.move(box["x"] + point[0] - 5, box["y"] + point[1])
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    expect(frame.locator(".leaflet-tooltip", has_text=_class(FAR))).to_be_visible(
        timeout=10_000)
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    # The popup of the district outline under the tiles is replaced by the polygon's (the
    # outline's fades out first).
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_have_count(1, timeout=10_000)
    expect(popup).to_contain_text(_class(FAR))
    expect(popup).to_contain_text(zh("map.reference.popup.feature"))
    expect(page.get_by_text(zh("app.click.references"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"BSM: TB{FAR:05d}")).to_be_visible()
    assert offline.blocker.blocked == []
