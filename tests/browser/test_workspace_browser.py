"""The planners' workspace in the system Chromium: an uploaded file changes the figures the
page shows, and they stay equal to ``geo-app totals`` on the same workspace."""

from __future__ import annotations

import json
import time

import pytest
import shapely
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from shapely.geometry import box, shape
from test_app_browser import (
    FIRST_MAP_TIMEOUT_MS,
    MAP_FRAME,
    cli_total,
    current_map,
    open_map,
    shown_total,
)

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def single_map_with(page, selector: str, timeout_s: float = 30):
    """The map's frame once it is the only one and holds ``selector`` (a redraw is over)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.locator(MAP_FRAME).count() == 1:
            frame = page.frame_locator(MAP_FRAME)
            if frame.locator(selector).count():
                return current_map(page)
        time.sleep(0.1)
    raise AssertionError(f"no single map frame with {selector} after {timeout_s} s")


def choose(page, label: str, option: str, attempts: int = 5) -> None:
    """Pick ``option`` in the select box ``label`` (a page redrawn meanwhile can close the
    list before or while it is clicked, so the box is opened again until the pick lands)."""
    wanted = page.get_by_role("option", name=option)
    for _ in range(attempts):
        page.get_by_label(label).click()
        try:
            expect(wanted).to_be_visible(timeout=3_000)
            wanted.click(timeout=5_000)
        except (AssertionError, PlaywrightTimeoutError):
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"the list of {label} did not open")


def drag_a_rectangle(page, *corners: tuple[int, int]):
    """Draw a rectangle with the map's rectangle tool, from the map's middle through each
    offset of ``corners`` (pixels) in turn; the map's frame is returned."""
    frame = single_map_with(page, ".leaflet-draw-draw-rectangle")
    frame.locator(".leaflet-draw-draw-rectangle").click()
    area = page.locator(MAP_FRAME).bounding_box()
    x, y = area["x"] + area["width"] * 0.5, area["y"] + area["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    for dx, dy in corners:
        page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()
    return frame


def test_an_uploaded_file_changes_the_total(offline, editing_server, tmp_path):
    upload = tmp_path / "新地块.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"id": "upload-1", "status": "planned", "use": "industrial",
                       "town": "奢岭街道", "quarter": "2022Q2"},
        "geometry": shapely.geometry.mapping(SQUARE),
    }]}, ensure_ascii=False), encoding="utf-8")
    page = offline.page
    page.goto(editing_server.url)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_role("tab", name=zh("app.tab.land")).click()
    before = cli_total(editing_server.workspace)
    expect(shown_total(page)).to_have_text(f"{before:,.2f}", timeout=30_000)

    page.get_by_text(zh("app.import.title")).click()
    name = page.get_by_label(zh("app.import.user"))
    name.fill("王工")
    name.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"]').click()
    chooser.value.set_files(upload)
    run = page.get_by_role("button", name=zh("app.import.run"), exact=True)
    expect(run).to_be_enabled(timeout=30_000)
    run.click()

    expected = float(hectares([SQUARE])[0])
    # The samples make way for the real parcel: the figure is the upload's hectares.
    expect(shown_total(page)).to_have_text(f"{expected:,.2f}", timeout=30_000)
    assert cli_total(editing_server.workspace) == pytest.approx(expected, abs=1e-9)
    expect(page.get_by_text(zh("app.land.sample"))).to_have_count(0)
    assert offline.blocker.blocked == []


def test_a_rectangle_drawn_on_the_map_shows_its_hectares_and_is_saved(offline, editing_server):
    page = offline.page
    open_map(offline, editing_server)
    page.get_by_text(zh("app.editor.title")).click()
    user = page.get_by_label(zh("app.editor.user"))
    user.fill("王工")
    user.press("Enter")
    # The map comes back with the drawing tools.
    frame = drag_a_rectangle(page, (30, 20), (60, 40))
    # The shape as the map sends it (Leaflet writes GeoJSON to 6 decimals).
    drawn = frame.locator("body").evaluate(
        "() => window.drawnItems.getLayers()[0].toGeoJSON().geometry"
    )
    rectangle = shape(drawn)
    assert rectangle.equals(box(*rectangle.bounds))
    expected = float(hectares([rectangle])[0])
    assert expected > 1
    shown = (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=zh("app.editor.drawn_hectares"))
        .locator('[data-testid="stMetricValue"]')
    )
    expect(shown).to_have_text(f"{expected:,.2f}", timeout=30_000)

    choose(page, zh("app.column.use"), zh("parcel.use.tourism"))
    page.get_by_role("button", name=zh("app.editor.save_new")).click()
    expect(page.get_by_text(zh("app.editor.saved", parcel="", hectares="").split("（")[0])
           ).to_be_visible(timeout=30_000)
    [parcel] = Workspace.open(editing_server.workspace).parcels()
    assert parcel.properties["use"] == "tourism" and parcel.updated_by == "王工"
    assert float(hectares([parcel.geometry])[0]) == pytest.approx(expected, rel=1e-9)
    assert offline.blocker.blocked == []
