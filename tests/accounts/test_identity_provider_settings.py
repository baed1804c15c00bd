"""Sign-in through the identity provider (GEO_APP_AUTH=oidc) is refused as a setting, in plain
words, when the secrets' [auth] table lacks what Streamlit's st.login signs in with."""

from __future__ import annotations

import pytest

from geo_app.accounts import auth_settings, check_identity_provider
from geo_app.problems import KeyedError

OIDC = auth_settings({"GEO_APP_AUTH": "oidc"})
AUTH = {
    "redirect_uri": "https://map.example.gov.cn/oauth2callback",
    "cookie_secret": "a long random string of the bureau's",
    "client_id": "geo-app",
    "client_secret": "the provider's secret for the app",
    "server_metadata_url": "https://sso.example.gov.cn/.well-known/openid-configuration",
}


def refusal(auth) -> KeyedError:
    with pytest.raises(KeyedError) as refused:
        check_identity_provider(OIDC, auth)
    return refused.value


def test_a_complete_auth_table_is_accepted_in_either_place_streamlit_reads():
    check_identity_provider(OIDC, AUTH)
    provider = {key: AUTH[key] for key in ("client_id", "client_secret", "server_metadata_url")}
    check_identity_provider(OIDC, {"redirect_uri": AUTH["redirect_uri"],
                                   "cookie_secret": AUTH["cookie_secret"],
                                   "default": provider})


@pytest.mark.parametrize("auth", [None, {}, "not a table"])
def test_no_auth_table_names_every_key(auth):
    problem = refusal(auth).problem
    for key in AUTH:
        assert key in problem.message_zh and key in problem.message_en
    assert "[auth]" in problem.message_zh and "[auth]" in problem.message_en


def test_a_missing_or_blank_key_is_named_and_no_secret_is_repeated():
    auth = {**AUTH, "client_secret": "  "}
    del auth["cookie_secret"]
    problem = refusal(auth).problem
    assert "cookie_secret, client_secret" in problem.message_en
    assert "cookie_secret, client_secret" in problem.message_zh
    assert "geo-app" not in problem.message_en  # what was given is not repeated


def test_provider_keys_in_auth_default_are_read_only_there():
    auth = {**AUTH, "default": {"client_id": "geo-app"}}
    assert "client_secret, server_metadata_url" in refusal(auth).problem.message_en


@pytest.mark.parametrize(("key", "value"), [
    ("redirect_uri", "map.example.gov.cn/oauth2callback"),
    ("server_metadata_url", "file:///etc/openid-configuration"),
])
def test_an_address_that_is_not_a_web_address_is_refused(key, value):
    problem = refusal({**AUTH, key: value}).problem
    assert key in problem.message_en and value in problem.message_zh


def test_a_redirect_uri_that_is_not_the_apps_callback_is_refused():
    problem = refusal({**AUTH, "redirect_uri": "https://map.example.gov.cn/"}).problem
    assert "/oauth2callback" in problem.message_zh and "/oauth2callback" in problem.message_en


def test_other_modes_need_no_auth_table():
    for mode in ("none", "local"):
        check_identity_provider(auth_settings({"GEO_APP_AUTH": mode}), None)
