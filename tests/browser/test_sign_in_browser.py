"""Sign-in and roles in the system Chromium: nothing before signing in, a viewer is offered
no change, an editor's drawn parcel is recorded under the account, wrong passwords are held
back. (That the workspace refuses a forged change is tested on the core itself, in
tests/accounts and tests/app/test_sign_in.py.)"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from app_server import PROJECT_ROOT, StreamlitServer
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, MAP_FRAME
from test_workspace_browser import choose, drag_a_rectangle

from geo_app.accounts import hash_password
from geo_app.i18n import load_strings
from geo_app.workspace import DATA_ENV, Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
PASSWORD = "planners passphrase"


def zh(name: str, /, **values) -> str:
    return STRINGS.get(name, "zh", **values)


@pytest.fixture
def signing_server(tmp_path) -> Iterator[StreamlitServer]:
    workspace = tmp_path / "workspace"
    accounts = Workspace.open(workspace)
    accounts.add_account("王工", "editor", hash_password(PASSWORD), "ops")
    accounts.add_account("李工", "viewer", hash_password(PASSWORD), "ops")
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    env.update({DATA_ENV: str(workspace), "GEO_APP_AUTH": "local"})
    with StreamlitServer(PROJECT_ROOT / "streamlit_app.py", env=env) as server:
        server.workspace = workspace
        yield server


def sign_in(page, name: str, password: str = PASSWORD) -> None:
    page.get_by_label(zh("app.sign_in.name")).fill(name)
    page.get_by_label(zh("app.sign_in.password")).fill(password)
    page.get_by_role("button", name=zh("app.sign_in.submit")).click()


def recorded(server: StreamlitServer, count: int, timeout_s: float = 60) -> None:
    """Wait until the workspace has recorded ``count`` sign-in attempts."""
    deadline = time.monotonic() + timeout_s
    owner = Workspace.open(server.workspace)
    while len(owner.sign_in_attempts()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} sign-in attempts recorded")
        time.sleep(0.2)


def save_a_drawn_tourism_parcel(page) -> None:
    """Draw a rectangle, call it tourism land and save it (the editor panel is open)."""
    drag_a_rectangle(page, (40, 30))
    expect(page.get_by_text(zh("app.editor.drawn_hectares")).first).to_be_visible(
        timeout=30_000)
    choose(page, zh("app.column.use"), zh("parcel.use.tourism"))
    page.get_by_role("button", name=zh("app.editor.save_new")).click()
    expect(page.get_by_text(zh("app.editor.saved", parcel="", hectares="").split("（")[0])
           ).to_be_visible(timeout=30_000)


def test_a_viewer_signs_in_and_is_offered_no_change(offline, signing_server):
    page = offline.page
    page.goto(signing_server.url)
    expect(page.get_by_role("heading", name=zh("app.sign_in.title"))).to_be_visible(
        timeout=FIRST_MAP_TIMEOUT_MS)
    expect(page.locator(MAP_FRAME)).to_have_count(0)
    sign_in(page, "李工")
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    expect(page.get_by_text(zh("app.sign_in.as", account="李工", role="查看"))).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text(zh("app.editor.title"))).to_have_count(0)
    page.get_by_role("tab", name=zh("app.tab.land")).click()
    expect(page.get_by_text(zh("app.land.count")).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(zh("app.import.title"))).to_have_count(0)
    assert offline.blocker.blocked == []


def test_an_editors_drawn_parcel_is_recorded_under_the_account(offline, signing_server):
    page = offline.page
    page.goto(signing_server.url)
    sign_in(page, "王工")
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_text(zh("app.editor.title")).click()
    # No name to type: the account's is said instead.
    expect(page.get_by_text(zh("app.sign_in.changes_as", account="王工"))).to_be_visible(
        timeout=30_000)
    expect(page.get_by_label(zh("app.editor.user"))).to_have_count(0)
    save_a_drawn_tourism_parcel(page)
    drawn = [p for p in Workspace.open(signing_server.workspace).parcels() if not p.sample]
    assert [p.updated_by for p in drawn] == ["王工"]


def test_wrong_passwords_are_held_back(offline, signing_server):
    page = offline.page
    page.goto(signing_server.url)
    expect(page.get_by_label(zh("app.sign_in.name"))).to_be_visible(
        timeout=FIRST_MAP_TIMEOUT_MS)
    for attempt in range(5):
        sign_in(page, "王工", f"wrong guess {attempt}")
        # The message stays from the attempt before: wait for this one to be recorded.
        recorded(signing_server, attempt + 1)
        expect(page.get_by_text(zh("error.sign_in_failed"))).to_be_visible(timeout=30_000)
    sign_in(page, "王工")
    recorded(signing_server, 6)
    expect(page.get_by_text(zh("error.sign_in_throttled", minutes=15))).to_be_visible(
        timeout=30_000)
    expect(page.locator(MAP_FRAME)).to_have_count(0)
    outcomes = [row[3] for row in Workspace.open(signing_server.workspace).sign_in_attempts()]
    assert outcomes[0] == "throttled" and outcomes[1:6] == ["wrong_password"] * 5


@pytest.mark.parametrize(("proxies", "signed"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_the_proxy_header_signs_in_only_from_the_trusted_proxy(browser, tmp_path, proxies,
                                                                signed):
    workspace = tmp_path / "workspace"
    Workspace.open(workspace).add_account("wanggong", "editor", None, "ops")
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    env.update({DATA_ENV: str(workspace), "GEO_APP_AUTH": "header",
                "GEO_APP_TRUSTED_PROXIES": proxies})
    with StreamlitServer(PROJECT_ROOT / "streamlit_app.py", env=env) as server:
        # The bureau's proxy would add this header to every request it passes on.
        context = browser.new_context(extra_http_headers={"X-Remote-User": "wanggong"})
        try:
            page = context.new_page()
            page.goto(server.url)
            if signed:
                expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
                expect(page.get_by_text(zh("app.sign_in.as", account="wanggong", role="编辑"))
                       ).to_be_visible(timeout=30_000)
            else:
                expect(page.get_by_text(zh("error.sign_in_untrusted"))).to_be_visible(
                    timeout=FIRST_MAP_TIMEOUT_MS)
                expect(page.locator(MAP_FRAME)).to_have_count(0)
        finally:
            context.close()
