"""The export panel in the system Chromium: a file is made on request (in the page's run, or
in a worker process) and downloaded, and "current map view" is the view the user is
looking at."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_server import PROJECT_ROOT, StreamlitServer
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, current_map, open_map, settled_count

from app_parts.page_data import load_app_data
from geo_app.export import ExportRequest, render
from geo_app.export.jobs import IN_PAGE_ENV
from geo_app.i18n import load_strings
from geo_app.workspace import DATA_ENV, Workspace
from geo_app.workspace.layer_file import parcel_layer_file

pytestmark = pytest.mark.browser

STRINGS = load_strings()


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def download(page, suffix: str) -> tuple[str, bytes]:
    """Make the file and download it; returns the suggested name and the bytes."""
    page.get_by_role("button", name=zh("export.panel.make")).click()
    return fetch(page, suffix)


def fetch(page, suffix: str) -> tuple[str, bytes]:
    """Download the made file once its button is there; the suggested name and the bytes."""
    label = re.escape(zh("export.panel.download", filename="")) + r".*" + re.escape(suffix)
    button = page.get_by_role("button", name=re.compile(label))
    expect(button).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    made = info.value
    return made.suggested_filename, Path(made.path()).read_bytes()


def map_bounds(frame) -> tuple[float, float, float, float]:
    """The map's view as (W, S, E, N), read from Leaflet itself."""
    values = frame.locator("body").evaluate(
        "() => { const b = map_div.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    return tuple(values)


def test_the_pdf_and_the_view_are_downloaded(offline, app_server):
    page = offline.page
    frame = open_map(offline, app_server)
    before = settled_count(page)
    # Zoom in with the panel closed: the page is not rerun, the map is not redrawn.
    frame.locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(1_000)
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 1
    assert settled_count(page) == before
    view = map_bounds(frame)

    page.get_by_text(zh("export.panel.heading")).click()
    # Opening the panel asks the map for its view without redrawing it.
    west, south, east, north = (f"{value:.4f}" for value in view)
    expect(page.get_by_text(zh("app.export.view_box", west=west, south=south, east=east,
                               north=north))).to_be_visible(timeout=FIRST_MAP_TIMEOUT_MS)
    assert map_bounds(current_map(page)) == pytest.approx(view)

    name, data = download(page, ".pdf")
    assert name.endswith(".pdf") and data.startswith(b"%PDF")

    page.get_by_label(zh("export.panel.format")).click()
    page.get_by_role("option", name=zh("export.format.html")).click()
    name, data = download(page, ".html")
    assert name.endswith(".html")
    html = data.decode("utf-8")
    fitted = re.search(r"map_\w+\.fitBounds\(\s*(\[\[.*?\]\])", html, re.DOTALL)
    assert fitted, "the exported map opens on a box"
    (south_lat, west_lon), (north_lat, east_lon) = json.loads(fitted.group(1))
    assert (west_lon, south_lat, east_lon, north_lat) == pytest.approx(view, abs=1e-6)
    assert offline.blocker.blocked == []


@pytest.fixture(scope="module")
def worker_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """A server that makes every export in a worker process, on a workspace of its own."""
    workspace = tmp_path_factory.mktemp("worker-export-workspace")
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    env.update({DATA_ENV: str(workspace), IN_PAGE_ENV: "0"})
    with StreamlitServer(PROJECT_ROOT / "streamlit_app.py", env=env) as server:
        server.workspace = workspace
        yield server


def test_a_file_made_in_a_worker_is_shown_running_then_downloaded(
        offline, worker_server, tmp_path):
    page = offline.page
    open_map(offline, worker_server)
    page.get_by_text(zh("export.panel.heading")).click()
    page.get_by_label(zh("export.panel.format")).click()
    page.get_by_role("option", name=zh("export.format.csv")).click()
    page.get_by_role("button", name=zh("export.panel.make")).click()
    running = zh("app.export.job.running", seconds="", limit="").split("：")[0]
    expect(page.get_by_text(re.compile(re.escape(running))).first).to_be_visible(
        timeout=30_000)
    name, data = fetch(page, ".csv")
    # The page's parcels, as the page loads them from its workspace, made here in the test.
    parcels = parcel_layer_file(Workspace.open(worker_server.workspace), tmp_path)
    shown = load_app_data(None, parcels)
    expected = render(ExportRequest(format="csv"), catalog=shown.usable_catalog,
                      ledger=shown.ledger, workspace=Workspace.open(worker_server.workspace))
    assert (name, data) == (expected.filename, expected.data)
    assert offline.blocker.blocked == []
