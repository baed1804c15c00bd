"""The standalone HTML map: one file that draws its layers with no network at all."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from export_helpers import FIXED_DATE, FileOnlyRoute, launch_chromium

from geo_app.export import ExportRequest, export_to_file, render

OVERLAY_PATHS = ".leaflet-overlay-pane path"


def test_html_is_one_file_with_no_outside_references():
    page = render(ExportRequest(format="html", date=FIXED_DATE)).data.decode("utf-8")
    assert "<title>双阳区发展布局图</title>" in page
    # Scripts and styles are inline: no src/href pointing at a server or a sibling file.
    assert not re.search(r'<script[^>]+src="(?!data:)', page)
    assert not re.search(r'<link[^>]+href="(?!data:)', page)


def test_html_title_is_escaped():
    page = render(ExportRequest(format="html", title="<b>简报</b>")).data.decode("utf-8")
    assert "<title>&lt;b&gt;简报&lt;/b&gt;</title>" in page


def test_html_draws_the_parcels_it_is_given_not_the_layer_file():
    from geo_app.ledger import default_ledger

    whole = default_ledger()
    supplied = whole.filtered(status="supplied")
    page = render(ExportRequest(format="html", date=FIXED_DATE), ledger=supplied).data.decode()
    drawn = {pid for pid in whole.parcels["id"] if f'"id":"{pid}"' in page}
    assert drawn == set(supplied.parcels["id"])


def _open_offline(html_path) -> dict:
    """Open the file in Chromium with only file: requests allowed; report what it drew."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            route = FileOnlyRoute()
            route.install(context)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(html_path.resolve().as_uri())
            page.wait_for_function(
                f"document.querySelectorAll({OVERLAY_PATHS!r}).length > 0", timeout=20_000
            )
            seen = {
                "drawn": page.eval_on_selector_all(OVERLAY_PATHS, "paths => paths.length"),
                "text": page.inner_text(".leaflet-container"),
                "title": page.title(),
            }
            # Clicking a feature opens its popup, as on the web map.
            page.locator(f"{OVERLAY_PATHS}.leaflet-interactive").last.dispatch_event("click")
            popup = page.wait_for_selector(".leaflet-popup-content", timeout=10_000)
            seen["popup"] = popup.inner_text()
            seen["blocked"] = list(route.blocked)
            seen["errors"] = errors
            return seen
        finally:
            browser.close()


@pytest.mark.browser
def test_html_opens_from_disk_offline_and_draws_the_features(tmp_path):
    target = export_to_file(ExportRequest(format="html", date=FIXED_DATE), tmp_path / "map.html")
    # Playwright's sync API allows one instance per thread, and other browser tests keep
    # theirs open for the whole run: this one drives its own browser from its own thread.
    with ThreadPoolExecutor(max_workers=1) as worker:
        seen = worker.submit(_open_offline, target).result(timeout=120)
    assert seen["drawn"] > 0
    assert seen["blocked"] == []
    assert seen["errors"] == []
    assert seen["title"] == "双阳区发展布局图"
    assert "图例" in seen["text"]
    assert "位置精度" in seen["popup"] and "来源" in seen["popup"]


def test_html_uses_the_callers_catalog(surveyed_catalog):
    page = render(ExportRequest(format="html"), catalog=surveyed_catalog).data.decode("utf-8")
    assert "测试河流" in page
