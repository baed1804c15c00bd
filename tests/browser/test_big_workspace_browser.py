"""A workspace above the tile threshold in the system Chromium: the parcels come as
vector tiles (no parcel GeoJSON in the page), a click names the parcel under it, the
status filter changes what is drawn, and an edit is drawn at once from a new archive."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import shapely
from app_server import MAP_FRAME, StreamlitServer
from conftest import APP, _server_env
from playwright.sync_api import expect
from test_workspace_browser import choose
from tile_pixels import painted, tiled_map

from geo_app.i18n import load_strings
from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.tile_file import THRESHOLD_ENV

pytestmark = pytest.mark.browser

STRINGS = load_strings()
STATUSES = ("planned", "in_acquisition", "supplied")
COUNT = 3000
SIDE = 55
CELL = (0.3 / SIDE, 0.2 / SIDE)
# Closer than the district view, so a parcel is tens of pixels wide.
ZOOM = 14
PARCEL_TILES = "geoAppParcelTiles"
# A place no parcel is drawn at, inside the district, for the moved parcel.
MOVED = shapely.box(125.80, 43.70, 125.81, 43.706)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def _cell(i: int) -> shapely.Polygon:
    x, y = 125.45 + (i % SIDE) * CELL[0], 43.45 + (i // SIDE) * CELL[1]
    return shapely.box(x, y, x + CELL[0] * 0.75, y + CELL[1] * 0.7)


def _centre(geometry) -> tuple[float, float]:
    point = geometry.centroid
    return point.y, point.x


@pytest.fixture(scope="module")
def big_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """The page on a workspace of 3,000 parcels, the tile threshold below it."""
    folder = tmp_path_factory.mktemp("big-workspace")
    workspace = Workspace.open(folder, seed=None)
    workspace.import_parcels([
        NewParcel(f"big-{i}", {"status": STATUSES[i % 3], "town": "奢岭街道",
                               "quarter": "2022Q2", "accuracy": "surveyed"}, _cell(i))
        for i in range(COUNT)
    ], "王工", "test")
    env = _server_env(folder, **{THRESHOLD_ENV: "1000"})
    with StreamlitServer(APP, env=env) as server:
        server.workspace = folder
        yield server


def _map(page, timeout_s: float = 90):
    """The map's frame once it is the only one and its parcel tiles are on the map."""
    return tiled_map(page, PARCEL_TILES, timeout_s)


def drawn_at(frame, geometry, timeout_s: float = 30) -> bool:
    """Whether the parcel tiles paint the centre of ``geometry`` (at a close zoom)."""
    lat, lon = _centre(geometry)
    return painted(frame, PARCEL_TILES, lat, lon, ZOOM, timeout_s)


def test_big_workspace_draws_tiles_identifies_filters_and_redraws_an_edit(
    offline, big_server
):
    page = offline.page
    tile_requests: list[int] = []
    page.on("response", lambda r: tile_requests.append(r.status)
            if r.url.endswith(".pmtiles") else None)
    page.goto(big_server.url)
    frame = _map(page)
    planned, supplied = _cell(0), _cell(2)
    assert drawn_at(frame, planned) and drawn_at(frame, supplied)
    # Tiles, read by ranges from the app's own static folder; no parcel in the page.
    assert 206 in tile_requests
    assert frame.locator("canvas").count() > 0
    html = frame.locator("html").inner_html()
    assert '"big-' not in html and "big-1" not in html

    # A click on a parcel: the server finds it and names it.
    lat, lon = _centre(_cell(4))
    drawn_at(frame, _cell(4))
    point = frame.locator("body").evaluate(
        "(body, [lat, lng]) => { const p = map_div.latLngToContainerPoint([lat, lng]);"
        " return [p.x, p.y]; }", [lat, lon])
    box = page.locator(MAP_FRAME).bounding_box()
    # Hovering names the parcel from the tile, with no server round trip.
    page.mouse.move(box["x"] + point[0] - 5, box["y"] + point[1])
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    expect(frame.locator(".leaflet-tooltip")).to_have_text(
        f"big-4 · {zh('parcel.status.in_acquisition')}", timeout=10_000)
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    expect(page.get_by_text("id: big-4")).to_be_visible(timeout=30_000)

    # Only supplied parcels: the planned one is no longer drawn, the supplied one is.
    page.get_by_text(zh("app.filters"), exact=True).click()
    choose(page, zh("app.filter.status"), zh("parcel.status.supplied"))
    expect(page.get_by_text(zh("app.filter.count", label=zh("app.filters"), count=1))
           ).to_be_visible(timeout=30_000)
    time.sleep(1)
    frame = _map(page)
    assert not drawn_at(frame, planned)
    assert drawn_at(frame, supplied)

    # An edit in the workspace: the page drawn next shows the new shape, never the old.
    workspace = Workspace.open(big_server.workspace)
    parcel = workspace.parcel("big-2")
    workspace.update("big-2", parcel.version, "王工", geometry=MOVED)
    page.goto(big_server.url)
    frame = _map(page)
    assert drawn_at(frame, MOVED)
    assert not drawn_at(frame, supplied)
    assert offline.blocker.blocked == []
