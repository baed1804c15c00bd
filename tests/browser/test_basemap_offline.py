"""Online basemaps in the running app with every outside request blocked.

The tiles cannot load, so the page must still show a working map — the plan layers and the
offline base features — and say once that the online tiles are unreachable. On 高德's
GCJ-02 tiles the coordinate readout and the measuring tool must still work in WGS84.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import urlsplit

import pytest
from app_server import MAP_FRAME
from playwright.sync_api import expect

from geo_app.basemaps import load_basemaps
from geo_app.gcj02 import wgs84_to_gcj02
from geo_app.i18n import load_strings

pytestmark = pytest.mark.browser

FIRST_MAP_TIMEOUT_MS = 90_000
STRINGS = load_strings()
PATHS = ".leaflet-container path"
NOTICE = ".gm-notice"
GAODE = load_basemaps().get("gaode_vec")
# A square near the district centre, in WGS84 (lon, lat).
SQUARE = [(125.60, 43.50), (125.62, 43.50), (125.62, 43.52), (125.60, 43.52)]


def spherical_area_m2(ring: list[tuple[float, float]]) -> float:
    """The ring's area as leaflet-measure computes it (turf: a sphere of 6,378,137 m)."""
    total = 0.0
    n = len(ring)
    for i in range(n):
        lower, middle, upper = ring[i], ring[(i + 1) % n], ring[(i + 2) % n]
        total += (math.radians(upper[0]) - math.radians(lower[0])) * math.sin(
            math.radians(middle[1]))
    return abs(total * 6378137.0 ** 2 / 2.0)


def on_tiles(lon: float, lat: float) -> tuple[float, float]:
    x, y = wgs84_to_gcj02(lon, lat)
    return float(x), float(y)


def path_count_settled(locator, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = locator.count()
        if count != last:
            last, stable_since = count, time.monotonic()
        elif count > 0 and time.monotonic() - stable_since > 1.0:
            return count
        time.sleep(0.1)
    raise AssertionError(f"the number of drawn paths did not settle (last {last})")


def settled_map_showing(page, selector: str, timeout_s: float = 90):
    """The map frame once the page shows exactly one and ``selector`` is visible in it.

    While Streamlit swaps a redrawn map in, two map frames can exist for a moment.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frames = page.locator(MAP_FRAME)
        if frames.count() == 1:
            frame = page.frame_locator(MAP_FRAME)
            target = frame.locator(selector)
            if target.count() and target.first.is_visible():
                return frame
        time.sleep(0.2)
    raise AssertionError(f"no single map frame showing {selector!r}")


def choose_basemap(page, name: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    select = sidebar.locator('[data-testid="stSelectbox"]').filter(
        has_text=STRINGS.get("app.basemap", "zh"))
    select.click()
    page.get_by_role("option", name=name, exact=True).click()


def test_gaode_tiles_unreachable_leave_a_working_map_with_one_notice(offline, app_server):
    page = offline.page
    page.goto(app_server.url)
    frame = page.frame_locator(MAP_FRAME)
    expect(frame.locator(PATHS).first).to_be_attached(timeout=FIRST_MAP_TIMEOUT_MS)
    expect(frame.locator(NOTICE)).to_have_count(0)

    choose_basemap(page, GAODE.name_zh)
    # The map is redrawn with the online tiles; they fail, and the notice shows once.
    frame = settled_map_showing(page, NOTICE)
    notice = frame.locator(NOTICE)
    expect(notice).to_have_text(STRINGS.get("map.tiles_unreachable", "zh"))
    expect(notice).to_have_count(1)
    assert path_count_settled(frame.locator(PATHS)) > 20
    expect(frame.locator(".leaflet-tile-pane")).to_be_attached()

    # Only the tiles were asked for outside this machine, and every one was refused.
    hosts = {urlsplit(url).hostname for url in offline.blocker.blocked}
    assert hosts and all(re.fullmatch(r"webrd0[1-4]\.is\.autonavi\.com", h) for h in hosts)

    body = frame.locator("body")
    # The readout turns a point read off GCJ-02 tiles back into WGS84.
    gcj_lon, gcj_lat = on_tiles(125.66, 43.52)
    readout = body.evaluate(
        """(body, [lat, lon]) => {
            const name = Object.keys(window).find(k => k.startsWith("geo_app_click_"));
            window[name].show(L.latLng(lat, lon));
            return document.querySelector(".gm-coords").textContent;
        }""",
        [gcj_lat, gcj_lon],
    )
    assert readout.startswith("WGS84") and readout.endswith("125.660000, 43.520000")

    # The measuring tool measures in WGS84 and leaves its shape on the tiles.
    drawn = [on_tiles(lon, lat) for lon, lat in SQUARE]
    area, shape, popup = body.evaluate(
        """(body, points) => {
            const control = Object.values(window).find(v => v instanceof L.Control.Measure);
            control._startMeasure();
            points.forEach(p => control._latlngs.push(L.latLng(p[1], p[0])));
            control._updateResults();
            const area = control._resultsModel.area;
            const before = new Set();
            control._layer.eachLayer(l => before.add(L.stamp(l)));
            control._handleMeasureDoubleClick();
            let shape = null, popup = null;
            control._layer.eachLayer(l => {
                if (!before.has(L.stamp(l)) && l.getLatLngs) {
                    shape = l.getLatLngs()[0].map(p => [p.lng, p.lat]);
                    popup = l.getPopup().getContent().textContent;
                }
            });
            return [area, shape, popup];
        }""",
        drawn,
    )
    truth = spherical_area_m2(SQUARE)
    assert area == pytest.approx(truth, rel=1e-6)
    # Measured on the GCJ-02 coordinates it would be this far off.
    assert abs(spherical_area_m2(drawn) / truth - 1) > 1e-4
    assert shape == [pytest.approx(list(p), abs=1e-9) for p in drawn]
    assert f"{truth / 10_000:,.2f}" in popup
    assert offline.dialogs == []
