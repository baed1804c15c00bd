"""The first view in the system Chromium: the map first, then the rest of the page, without
the map being drawn twice; the legend and the plugin controls come once it is drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, STRINGS, current_map

pytestmark = pytest.mark.browser

# Counts the map frames the page creates: a redrawn map is a new frame.
COUNT_MAP_FRAMES = """
(() => {
  if (window !== window.top) { return; }
  const seen = new WeakSet();
  window.__mapFrames = 0;
  setInterval(() => {
    for (const frame of document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
      if (!seen.has(frame)) { seen.add(frame); window.__mapFrames += 1; }
    }
  }, 5);
})();
"""


def test_the_page_follows_the_map_and_the_map_is_drawn_once(offline, app_server):
    page = offline.page
    page.add_init_script(COUNT_MAP_FRAMES)
    page.goto(app_server.url)
    frame = current_map(page, FIRST_MAP_TIMEOUT_MS)

    # The map's report brings the sidebar's controls and the panels under the map.
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.locator('[data-testid="stRadio"]')).to_be_visible(timeout=30_000)
    expect(sidebar.locator('[data-testid="stCheckbox"]').first).to_be_visible()
    expect(page.get_by_label(STRINGS.get("app.search.label", "zh"))).to_be_visible()
    expect(page.get_by_role("tab", name=STRINGS.get("app.tab.map", "zh"))).to_be_visible()

    # Added after the first draw: the legend and the two plugin controls.
    expect(frame.locator(".gm-legend")).to_be_visible(timeout=30_000)
    expect(frame.locator(".leaflet-control-zoom-fullscreen")).to_be_attached(timeout=30_000)
    expect(frame.locator(".leaflet-control-measure")).to_be_attached(timeout=30_000)

    # The rest of the page came without drawing the map again.
    assert page.evaluate("() => window.__mapFrames") == 1
    assert offline.blocker.blocked == []
