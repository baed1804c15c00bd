"""The HTML export of a selection above the tile threshold, opened from disk in the system
Chromium with every request but the file's own blocked: its parcels are painted from the
archive the page carries, and a click on a parcel opens that parcel's popup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from export.export_helpers import FileOnlyRoute
from playwright.sync_api import expect
from tile_pixels import painted

from geo_app.export import ExportRequest, export_to_file
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.workspace.tile_file import THRESHOLD_ENV

pytestmark = pytest.mark.browser

STRINGS = load_strings()
PARCEL_TILES = "geoAppParcelTiles"
# Close enough that a sample parcel is tens of pixels wide.
ZOOM = 15
# The page names its map after folium's id; the pixel check looks for it as map_div.
NAME_THE_MAP = """() => {
    window.map_div = Object.values(window).find(v => v instanceof L.Map);
    return window.map_div !== undefined;
}"""
HIDE_PARCELS = f"""() => map_div.eachLayer(l => {{
    if ('{PARCEL_TILES}' in l) {{ map_div.removeLayer(l); }}
}})"""


@pytest.fixture
def from_disk(browser) -> Iterator[tuple]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    # Only the file itself (and inline data:, blob:, about:): no network at all.
    route = FileOnlyRoute()
    route.install(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, route, errors
    context.close()


def test_a_big_selection_opens_from_disk_painted_from_its_own_archive(
        from_disk, tmp_path, monkeypatch):
    page, route, errors = from_disk
    supplied = default_ledger().filtered(status="supplied")
    # The selection's parcels are just above the threshold: drawn from tiles.
    monkeypatch.setenv(THRESHOLD_ENV, str(len(supplied.parcels) - 1))
    target = export_to_file(ExportRequest(format="html"), tmp_path / "map.html",
                            ledger=supplied)
    page.goto(target.resolve().as_uri())
    page.wait_for_function(NAME_THE_MAP, timeout=30_000)
    page.wait_for_function(
        f"() => {{ let found = false; map_div.eachLayer(l => {{ "
        f"if ('{PARCEL_TILES}' in l) found = true; }}); return found; }}", timeout=30_000)
    # No parcel travels as a shape the page draws itself.
    assert page.locator(".leaflet-overlay-pane canvas").count() > 0

    parcel = supplied.parcels.iloc[0]
    point = parcel.geometry.representative_point()
    lat, lon = point.y, point.x
    assert painted(page, PARCEL_TILES, lat, lon, ZOOM)
    # A parcel left out of the selection is not drawn.
    whole = default_ledger().parcels
    other = whole[whole["status"] != "supplied"].iloc[0].geometry.representative_point()
    assert not painted(page, PARCEL_TILES, other.y, other.x, ZOOM)

    # A click on the parcel opens its popup, from the tile's values, even where a plan
    # area with a popup of its own lies under it.
    painted(page, PARCEL_TILES, lat, lon, ZOOM)
    x, y = page.evaluate(
        "([lat, lng]) => { const p = map_div.latLngToContainerPoint([lat, lng]);"
        " return [p.x, p.y]; }", [lat, lon])
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    popup = page.locator(".leaflet-popup-content", has_text=str(parcel["id"]))
    expect(popup).to_be_visible(timeout=10_000)
    # The plan area's popup is closed for it (it fades out for a moment before it leaves).
    expect(page.locator(".leaflet-popup-content")).to_have_count(1, timeout=10_000)
    expect(popup).to_contain_text(STRINGS.get("parcel.status.supplied", "zh"))
    expect(popup).to_contain_text(str(parcel["town"]))
    expect(popup).to_contain_text(STRINGS.get("export.html.parcel_popup_more", "zh"))
    assert STRINGS.get("export.html.parcel_tiles", "zh", count=len(supplied.parcels),
                       zoom=9) in page.inner_text(".leaflet-container")

    # With the parcels switched off, a click there opens the plan area's popup only.
    page.evaluate(HIDE_PARCELS)
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page.locator(".leaflet-popup-content")).to_have_count(1, timeout=10_000)
    expect(popup).to_have_count(0)
    assert route.blocked == []
    assert errors == []
