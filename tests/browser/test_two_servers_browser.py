"""Two app servers on one PostGIS database, two browsers: a parcel saved through one server
is what the other shows after its next run, and the other's edit of the version it had
is refused with the editor's message, nothing overwritten."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from app_server import PROJECT_ROOT, StreamlitServer
from conftest import OfflinePage
from pg_cluster import new_database, shared_cluster
from playwright.sync_api import expect
from test_app_browser import open_map
from test_editor_browser import (
    PARCEL,
    TIMEOUT_MS,
    chosen_in_the_editor,
    pick_label,
    save,
    shown_value,
    zh,
)
from test_workspace_browser import choose

from geo_app.workspace import DATA_ENV, DATABASE_ENV, FILE_NAME, Workspace

pytestmark = pytest.mark.browser

APP = PROJECT_ROOT / "streamlit_app.py"


@pytest.fixture
def two_servers(tmp_path) -> Iterator[tuple[StreamlitServer, StreamlitServer, str]]:
    """Two servers of the app, each with its own data folder, on one fresh database."""
    shared_cluster()
    url = new_database("servers")
    # Made before either server starts, as a bureau's database is.
    Workspace.open_database(url)
    base = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    servers = [StreamlitServer(APP, env={**base, DATABASE_ENV: url,
                                         DATA_ENV: str(tmp_path / f"folder-{n}")})
               for n in (1, 2)]
    for number, server in enumerate(servers, start=1):
        server.workspace = tmp_path / f"folder-{number}"
    with servers[0], servers[1]:
        yield servers[0], servers[1], url


def test_an_edit_through_one_server_reaches_the_other_and_its_stale_edit_is_refused(
        browser, two_servers):
    first_server, second_server, url = two_servers
    database = Workspace.open_database(url)
    parcel = database.parcel(PARCEL)
    props = parcel.properties
    assert (props["status"], props["quarter"]) != ("supplied", "2022Q4")
    first, second = OfflinePage(browser), OfflinePage(browser)
    try:
        # Both planners have the parcel open in the editor, at the same version.
        for page, server in ((first, first_server), (second, second_server)):
            open_map(page, server)
            chosen_in_the_editor(page.page, parcel)
            expect(shown_value(page.page, zh("app.column.status"))).to_have_value(
                zh(f"parcel.status.{props['status']}"), timeout=TIMEOUT_MS)

        chosen = pick_label(PARCEL, props["name_zh"])
        for page in (first, second):
            expect(shown_value(page.page, zh("app.editor.pick"))).to_have_value(chosen)
        # The first saves a new status through its server.
        choose(first.page, zh("app.column.status"), zh("parcel.status.supplied"))
        expect(shown_value(first.page, zh("app.editor.pick"))).to_have_value(chosen)
        save(first.page)
        expect(first.page.get_by_text(zh("app.editor.updated", parcel=PARCEL,
                                         version=parcel.version + 1))).to_be_visible(
            timeout=TIMEOUT_MS)
        assert database.parcel(PARCEL).properties["status"] == "supplied"

        # The second, on the version it had, moves the parcel to another quarter: refused,
        # with the app's message, and the first planner's change stands.
        choose(second.page, zh("app.column.quarter"), "2022Q4")
        save(second.page)
        stale = second.page.locator('[data-testid="stAlert"]').filter(
            has_text=zh("app.editor.stale", reason=""))
        expect(stale).to_be_visible(timeout=TIMEOUT_MS)
        now = database.parcel(PARCEL)
        assert (now.version, now.properties["status"], now.properties["quarter"]) == (
            parcel.version + 1, "supplied", props["quarter"])

        # Its next run shows the parcel as the first planner saved it, by whom.
        second.page.get_by_role("button", name=zh("app.editor.reload")).click()
        expect(stale).to_have_count(0, timeout=TIMEOUT_MS)
        expect(shown_value(second.page, zh("app.column.status"))).to_have_value(
            zh("parcel.status.supplied"), timeout=TIMEOUT_MS)
        version = zh("app.editor.version", version=parcel.version + 1, user="王工", at="\0")
        expect(second.page.get_by_text(version.split("\0")[0].strip())).to_be_visible(
            timeout=TIMEOUT_MS)
        expect(shown_value(second.page, zh("app.editor.pick"))).to_have_value(chosen)
        assert first.blocker.blocked == [] and second.blocker.blocked == []
    finally:
        first.close()
        second.close()
    # Neither server made a GeoPackage of its own.
    assert not any((s.workspace / FILE_NAME).exists() for s in (first_server, second_server))
