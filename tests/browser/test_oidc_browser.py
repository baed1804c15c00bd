"""Signing in through the bureau's identity provider (GEO_APP_AUTH=oidc) in the system
Chromium: the button goes to the provider (the tests' own, on 127.0.0.1) and back through
Streamlit's st.login, and the page then serves the workspace's account of the provider's
user with its role; a provider user with no account here is refused."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from app_server import PROJECT_ROOT, StreamlitServer
from oidc_provider import IdentityProvider
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, MAP_FRAME
from test_sign_in_browser import save_a_drawn_tourism_parcel, zh

from geo_app.workspace import DATA_ENV, Workspace

pytestmark = pytest.mark.browser

EDITOR = {"preferred_username": "wang.gong", "email": "wang@example.gov.cn"}
VIEWER = {"email": "li@example.gov.cn"}  # no preferred_username: the e-mail names the account


class OidcApp:
    def __init__(self, server: StreamlitServer, provider: IdentityProvider) -> None:
        self.server, self.provider = server, provider


@pytest.fixture(scope="module")
def oidc_app(tmp_path_factory) -> Iterator[OidcApp]:
    """One server signing in through one provider, on a workspace with an editor and a
    viewer known by their provider names (the tests sign in on browser contexts of their
    own, so none sees another's sign-in)."""
    folder = tmp_path_factory.mktemp("oidc")
    workspace = folder / "workspace"
    accounts = Workspace.open(workspace)
    accounts.add_account("wang.gong", "editor", None, "ops")
    accounts.add_account("li@example.gov.cn", "viewer", None, "ops")
    with IdentityProvider() as provider:
        # Streamlit fills in its own port; the secrets file is the only one the server reads.
        auth = provider.auth_secrets("http://127.0.0.1:{port}/oauth2callback")
        secrets = folder / "secrets.toml"
        secrets.write_text("[auth]\n" + "".join(
            f"{key} = {json.dumps(value)}\n" for key, value in auth.items()), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
        env.update({DATA_ENV: str(workspace), "GEO_APP_AUTH": "oidc",
                    "STREAMLIT_SECRETS_FILES": str(secrets)})
        with StreamlitServer(PROJECT_ROOT / "streamlit_app.py", env=env) as server:
            server.workspace = workspace
            yield OidcApp(server, provider)


def sign_in_at_provider(page, app: OidcApp, user: dict) -> None:
    app.provider.user = user
    page.goto(app.server.url)
    page.get_by_role("button", name=zh("app.sign_in.with_provider")).click(
        timeout=FIRST_MAP_TIMEOUT_MS)


def test_a_viewer_signs_in_through_the_provider_and_is_offered_no_change(offline, oidc_app):
    page = offline.page
    page.goto(oidc_app.server.url)
    expect(page.get_by_role("button", name=zh("app.sign_in.with_provider"))).to_be_visible(
        timeout=FIRST_MAP_TIMEOUT_MS)
    expect(page.locator(MAP_FRAME)).to_have_count(0)
    sign_in_at_provider(page, oidc_app, VIEWER)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    expect(page.get_by_text(zh("app.sign_in.as", account="li@example.gov.cn", role="查看"))
           ).to_be_visible(timeout=30_000)
    assert oidc_app.provider.issued[-1] == "li@example.gov.cn"
    expect(page.get_by_text(zh("app.editor.title"))).to_have_count(0)
    # Signing out forgets the provider's user too: the button is offered again.
    # Streamlit forgets the provider's cookie at /auth/logout, where the page is sent.
    with page.expect_response(lambda answer: "/auth/logout" in answer.url, timeout=30_000):
        page.get_by_role("button", name=zh("app.sign_in.sign_out")).click()
    expect(page.get_by_role("button", name=zh("app.sign_in.with_provider"))).to_be_visible(
        timeout=30_000)
    page.reload()
    expect(page.get_by_role("button", name=zh("app.sign_in.with_provider"))).to_be_visible(
        timeout=FIRST_MAP_TIMEOUT_MS)
    assert offline.blocker.blocked == []


def test_an_editors_drawn_parcel_is_recorded_under_the_providers_account(offline, oidc_app):
    page = offline.page
    sign_in_at_provider(page, oidc_app, EDITOR)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_text(zh("app.editor.title")).click()
    expect(page.get_by_text(zh("app.sign_in.changes_as", account="wang.gong"))).to_be_visible(
        timeout=30_000)
    save_a_drawn_tourism_parcel(page)
    workspace = Workspace.open(oidc_app.server.workspace)
    drawn = [p for p in workspace.parcels() if not p.sample]
    assert [p.updated_by for p in drawn] == ["wang.gong"]
    assert [entry.user for entry in workspace.history(drawn[0].parcel_id)] == ["wang.gong"]
    assert offline.blocker.blocked == []


def test_a_provider_user_with_no_account_here_is_refused(offline, oidc_app):
    page = offline.page
    sign_in_at_provider(page, oidc_app, {"preferred_username": "stranger"})
    expect(page.get_by_text(zh("error.sign_in_no_account", name="stranger"))).to_be_visible(
        timeout=FIRST_MAP_TIMEOUT_MS)
    assert oidc_app.provider.issued[-1] == "stranger"
    expect(page.locator(MAP_FRAME)).to_have_count(0)
    # They may leave and sign in as someone who has an account.
    oidc_app.provider.user = EDITOR
    page.get_by_role("button", name=zh("app.sign_in.other_account")).click()
    page.get_by_role("button", name=zh("app.sign_in.with_provider")).click(
        timeout=FIRST_MAP_TIMEOUT_MS)
    expect(page.get_by_text(zh("app.sign_in.as", account="wang.gong", role="编辑"))
           ).to_be_visible(timeout=FIRST_MAP_TIMEOUT_MS)
    outcomes = [(row[1], row[3]) for row in
                Workspace.open(oidc_app.server.workspace).sign_in_attempts()]
    assert ("stranger", "unknown") in outcomes
