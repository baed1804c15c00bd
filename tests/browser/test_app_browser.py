"""The running app in the system Chromium, with every outside request blocked."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from app_server import (
    HOSTILE_ID,
    HOSTILE_NAME_ZH,
    MAP_FRAME,
    PROJECT_ROOT,
)
from playwright.sync_api import expect

from geo_app.basemaps import DEFAULT_BASEMAP, load_basemaps
from geo_app.catalog import load_catalog, load_layer_geojson
from geo_app.i18n import load_strings

pytestmark = pytest.mark.browser

FIRST_MAP_TIMEOUT_MS = 90_000
STRINGS = load_strings()
PATHS = ".leaflet-container path"


def current_map(page, timeout_ms: float = 30_000):
    """The map's frame once a redraw is over (the old frame lingers for a moment)."""
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=timeout_ms)
    frame = page.frame_locator(MAP_FRAME)
    expect(frame.locator(PATHS).first).to_be_attached(timeout=timeout_ms)
    return frame


def open_map(offline, server):
    """Load the page and wait until the map has drawn vector paths."""
    offline.page.goto(server.url)
    return current_map(offline.page, FIRST_MAP_TIMEOUT_MS)


def settled_count(page, differs_from: int | None = None, timeout_s: float = 60) -> int:
    """The number of drawn paths once it has stopped changing (and differs from a value)."""
    deadline = time.monotonic() + timeout_s
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        # While the map is redrawn two frames exist for a moment; count only a single one.
        frames = page.locator(MAP_FRAME).count()
        count = page.frame_locator(MAP_FRAME).locator(PATHS).count() if frames == 1 else -1
        if count != last:
            last, stable_since = count, time.monotonic()
        elif (
            count > 0
            and count != differs_from
            and time.monotonic() - stable_since > 1.0
        ):
            return count
        time.sleep(0.1)
    raise AssertionError(f"path count did not settle away from {differs_from} (last {last})")


def feature_path(frame, feature_id: str):
    """A locator for the SVG path Leaflet drew for a feature (the last one drawn wins)."""
    marker = f"test-feature-{feature_id}"
    found = frame.locator("body").evaluate(
        "(body, [id, marker]) => { let n = 0; map_div.eachLayer(layer => {"
        " const p = layer.feature && layer.feature.properties;"
        " if (p && p.id === id && layer._path) { layer._path.classList.add(marker); n += 1; }"
        " }); return n; }",
        [feature_id, marker],
    )
    assert found, f"no drawn path for feature {feature_id}"
    return frame.locator(f"path.{marker}").last


def test_map_draws_with_the_network_blocked(offline, app_server):
    frame = open_map(offline, app_server)
    assert settled_count(offline.page) > 20
    box = offline.page.locator(MAP_FRAME).bounding_box()
    assert box["height"] > 400 and box["width"] > 400
    expect(frame.locator(".leaflet-control-layers")).to_be_attached()
    # Nothing left this machine: Leaflet and its plugins came from /app/static/vendor.
    assert offline.blocker.blocked == []


def test_toggling_a_layer_changes_what_is_drawn(offline, app_server):
    catalog = load_catalog()
    backdrop = set(load_basemaps().get(DEFAULT_BASEMAP).backdrop_layers)
    # A layer the offline backdrop does not redraw faintly when it is switched off.
    spec = next(s for s in catalog.layers if s.default_visible and s.id not in backdrop)
    open_map(offline, app_server)
    before = settled_count(offline.page)
    sidebar = offline.page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(spec.name_zh, exact=True).click()
    after = settled_count(offline.page, differs_from=before)
    assert after < before
    sidebar.get_by_text(spec.name_zh, exact=True).click()
    assert settled_count(offline.page, differs_from=after) == before
    assert offline.blocker.blocked == []


def cli_total(workspace) -> float:
    """``geo-app totals`` on the workspace the server's GEO_APP_DATA names."""
    result = subprocess.run(
        [sys.executable, "-m", "geo_app", "totals", "--workspace", str(workspace), "--json"],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    return json.loads(result.stdout)["total_ha"]


def shown_total(page):
    """The land-supply tab's whole-district figure."""
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=STRINGS.get("app.land.total_all", "zh"))
        .locator('[data-testid="stMetricValue"]')
    )


def test_land_supply_figure_equals_the_cli_total(offline, app_server):
    page = offline.page
    page.goto(app_server.url)
    # The server seeds its workspace on its first page; the CLI then reads the same one.
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    total = cli_total(app_server.workspace)
    page.get_by_role("tab", name=STRINGS.get("app.tab.land", "zh")).click()
    expect(shown_total(page)).to_have_text(f"{total:,.2f}", timeout=FIRST_MAP_TIMEOUT_MS)


def test_hostile_feature_name_shows_as_text_and_runs_nothing(offline, hostile_server):
    page = offline.page
    frame = open_map(offline, hostile_server)
    settled_count(page)

    feature_path(frame, HOSTILE_ID).hover()
    tooltip = frame.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text(HOSTILE_NAME_ZH, timeout=10_000)

    # A click selects the feature: the page names it, as text, beside the map.
    feature_path(frame, HOSTILE_ID).click()
    selection = page.locator('[data-testid="stText"]').filter(has_text=HOSTILE_ID)
    expect(selection).to_contain_text(HOSTILE_NAME_ZH, timeout=30_000)

    # The map is redrawn with the feature highlighted; its popup is text too.
    frame = current_map(page)
    settled_count(page)
    feature_path(frame, HOSTILE_ID).click()
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(HOSTILE_NAME_ZH, timeout=10_000)

    # Search lists it as text as well.
    search = page.get_by_label(STRINGS.get("app.search.label", "zh"))
    search.fill("恶意名称")
    search.press("Enter")
    chooser = page.get_by_text(STRINGS.get("app.search.choose", "zh", count=1))
    expect(chooser).to_be_visible(timeout=30_000)

    for where in (frame, page):
        assert where.locator('img[src="x"], img[src="y"], svg[onload]').count() == 0
    assert page.evaluate("() => window.__hostile") is None
    assert frame.locator("body").evaluate("() => window.__hostile") is None
    assert offline.dialogs == []
    assert offline.blocker.blocked == []


def test_choosing_a_table_row_highlights_its_feature_on_the_map(offline, app_server):
    from geo_app.mapview.display import display_rules

    page = offline.page
    open_map(offline, app_server)
    catalog = load_catalog()
    features = load_layer_geojson(catalog.layers[0])["features"]
    first = features[0]["properties"]["id"]
    page.get_by_role("tab", name=STRINGS.get("app.tab.table", "zh")).click()
    layer_box = page.get_by_label(STRINGS.get("app.table.layer", "zh"))
    layer_box.click()
    page.get_by_role("option", name=catalog.layers[0].name_zh, exact=True).click()
    # The grid of the layer chosen, not the parcels' grid it replaces: its count line says so.
    count = STRINGS.get("app.table_pages.count", "zh", matches=len(features),
                        total=len(features), first=1, last=len(features))
    expect(page.get_by_text(count)).to_be_visible(timeout=30_000)
    grid = page.locator('[data-testid="stDataFrame"]')
    expect(grid).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    # The row-selection box of the first data row (header and rows are 35 px high).
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.get_by_role("tab", name=STRINGS.get("app.tab.map", "zh")).click()
    selection = page.locator('[data-testid="stText"]').filter(has_text=first)
    expect(selection).to_be_visible(timeout=30_000)
    frame = current_map(page)
    colour = display_rules().highlight["color"]
    expect(frame.locator(f'path[stroke="{colour}"]').first).to_be_attached(timeout=30_000)
