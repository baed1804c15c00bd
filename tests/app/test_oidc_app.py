"""Sign-in through the identity provider on the page (GEO_APP_AUTH=oidc): settings st.login
could not sign in with are refused in the page's words before anything else, the provider's
user is the workspace's account with its role, and a user with no account is refused with a
way to sign in as someone else. (The round trip through a provider is in
tests/browser/test_oidc_browser.py.)"""

from __future__ import annotations

import pytest
from app_harness import assert_clean, new_app

from app_parts.page_data import escape_markdown
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

STRINGS = load_strings()
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a long random string of the bureau's",
    "client_id": "geo-app",
    "client_secret": "the provider's secret for the app",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def zh(key: str, **values) -> str:
    return STRINGS.get(key, "zh", **values)


def shown(key: str, **values) -> str:
    """A message as the page's st.error shows it (markdown characters escaped)."""
    return escape_markdown(zh(key, **values))


@pytest.fixture
def oidc(own_workspace, monkeypatch):
    """The page signing in through the provider, on a workspace with two accounts."""
    monkeypatch.setenv("GEO_APP_AUTH", "oidc")
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    workspace = Workspace.open(own_workspace)
    workspace.add_account("wang.gong", "editor", None, "admin")
    workspace.add_account("li@example.gov.cn", "viewer", None, "admin")

    def page(auth: dict | None = AUTH, **user):
        at = new_app()
        at.secrets = {"geo_app_tests": "isolated", **({"auth": auth} if auth else {})}
        at.user = {"is_logged_in": bool(user), **user}
        return at.run()

    page.workspace = workspace
    return page


@pytest.mark.parametrize("auth", [None, {k: v for k, v in AUTH.items() if k != "client_secret"}])
def test_incomplete_provider_settings_are_refused_before_anything_is_offered(oidc, auth):
    at = oidc(auth)
    assert not at.exception
    expected = "client_secret" if auth else ", ".join(AUTH)
    assert [e.value for e in at.error] == [shown("error.auth_oidc_secrets", keys=expected)]
    assert not at.button and not at.metric and not at.tabs


def test_a_redirect_uri_elsewhere_than_the_callback_is_refused(oidc):
    at = oidc({**AUTH, "redirect_uri": "http://127.0.0.1:8501/"})
    assert [e.value for e in at.error] == [shown("error.auth_oidc_redirect",
                                              value="http://127.0.0.1:8501/",
                                              path="/oauth2callback")]
    assert not at.button


def test_before_signing_in_only_the_providers_button_is_offered(oidc):
    at = oidc()
    assert_clean(at)
    assert [b.label for b in at.button] == [zh("app.sign_in.with_provider")]
    assert not at.metric and not at.tabs


@pytest.mark.parametrize(("claims", "account", "role"), [
    ({"preferred_username": "wang.gong", "email": "wang@example.gov.cn"}, "wang.gong", "编辑"),
    ({"email": "li@example.gov.cn"}, "li@example.gov.cn", "查看"),
])
def test_the_providers_user_is_the_account_of_that_name_with_its_role(oidc, claims, account,
                                                                      role):
    at = oidc(**claims)
    assert_clean(at)
    assert zh("app.sign_in.as", account=escape_markdown(account), role=role) in [
        c.value for c in at.sidebar.caption]
    assert at.metric
    assert at.session_state["signed_in"]["via"] == "oidc"
    attempts = oidc.workspace.sign_in_attempts()
    assert attempts[0][1] == account and attempts[0][3] == "ok"


def test_a_provider_user_with_no_account_is_refused_and_may_sign_out(oidc):
    at = oidc(preferred_username="stranger")
    assert [e.value for e in at.error] == [shown("error.sign_in_no_account", name="stranger")]
    assert not at.metric
    assert oidc.workspace.sign_in_attempts()[0][3] == "unknown"
    at.button(key="oidc_other_account").click().run()
    assert not at.exception
    # The browser is sent to Streamlit's sign-out, which forgets the provider's user: the
    # next run offers the provider's button again.
    at.run()
    assert_clean(at)
    assert zh("app.sign_in.with_provider") in [b.label for b in at.button]
