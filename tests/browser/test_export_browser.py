"""The export panel in the system Chromium: a file is made on request and downloaded, and
"current map view" is the view the user is looking at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, current_map, open_map, settled_count

from geo_app.i18n import load_strings

pytestmark = pytest.mark.browser

STRINGS = load_strings()


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def download(page, suffix: str) -> tuple[str, bytes]:
    """Make the file and download it; returns the suggested name and the bytes."""
    page.get_by_role("button", name=zh("export.panel.make")).click()
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
