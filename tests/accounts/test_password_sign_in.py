"""Accounts, sign-in and roles: passwords hashed with Argon2id, wrong guesses throttled and
recorded, roles enforced by the workspace itself on every change."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from geo_app.accounts import (
    SignInError,
    auth_settings,
    check_exposure,
    hash_password,
    sign_in_with_header,
    sign_in_with_password,
    verify_password,
)
from geo_app.problems import KeyedError
from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.actors import Actor, NotAllowedError

PASSWORD = "correct horse battery"
LOCAL = auth_settings({"GEO_APP_AUTH": "local"})


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace.open(tmp_path / "ws", seed=None)
    ws.add_account("王工", "editor", hash_password(PASSWORD), "admin")
    ws.add_account("李工", "viewer", hash_password(PASSWORD), "admin")
    ws.add_account("张工", "admin", hash_password(PASSWORD), "admin")
    return ws


def square(x: float = 125.6) -> shapely.Polygon:
    return shapely.box(x, 43.5, x + 0.01, 43.51)


def test_a_password_is_stored_as_an_argon2id_hash_only(workspace):
    stored = workspace.account("王工").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")


def test_the_right_password_signs_in_with_the_accounts_role(workspace):
    actor = sign_in_with_password(workspace, " 王工 ", PASSWORD, "10.0.0.8", LOCAL)
    assert actor == Actor("王工", "editor", via="password")


def test_wrong_names_and_passwords_say_the_same_and_are_recorded(workspace):
    with pytest.raises(SignInError) as wrong:
        sign_in_with_password(workspace, "王工", "nope nope nope", "10.0.0.8", LOCAL)
    with pytest.raises(SignInError) as unknown:
        sign_in_with_password(workspace, "赵工", PASSWORD, "10.0.0.8", LOCAL)
    assert wrong.value.problem.message_zh == unknown.value.problem.message_zh
    owner = Workspace(workspace.path)
    outcomes = [row[3] for row in owner.sign_in_attempts()]
    assert outcomes[:2] == ["unknown", "wrong_password"]


def test_wrong_passwords_are_throttled_across_servers_and_released_in_time(workspace):
    for _ in range(LOCAL.max_failures):
        with pytest.raises(SignInError):
            sign_in_with_password(workspace, "王工", "guess guess guess", "10.0.0.9", LOCAL)
    # Another server on the same workspace holds the account too, even with the right password.
    other_server = Workspace(workspace.path)
    with pytest.raises(SignInError) as held:
        sign_in_with_password(other_server, "王工", PASSWORD, "10.0.0.9", LOCAL)
    assert held.value.key == "error.sign_in_throttled"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=LOCAL.window_minutes + 1)
    assert sign_in_with_password(workspace, "王工", PASSWORD, "10.0.0.9", LOCAL,
                                 now=later).role == "editor"


def test_a_disabled_account_cannot_sign_in(workspace):
    workspace.change_account("王工", "张工", disabled=True)
    with pytest.raises(SignInError) as refused:
        sign_in_with_password(workspace, "王工", PASSWORD, "10.0.0.8", LOCAL)
    assert refused.value.key == "error.sign_in_disabled"


def test_a_viewer_is_refused_every_change_by_the_workspace_itself(workspace):
    viewer = workspace.acting_as(Actor("李工", "viewer", via="password"))
    for change in (
        lambda: viewer.insert("x", {}, square(), "李工"),
        lambda: viewer.import_parcels([NewParcel("y", {}, square())], "李工", "f.geojson"),
        lambda: viewer.add_account("新人", "admin", None, "李工"),
        lambda: viewer.remember("column_mapping:x", "{}"),
    ):
        with pytest.raises(NotAllowedError) as refused:
            change()
        assert "李工" in refused.value.problem.message_zh
    assert workspace.count() == 0 and workspace.account("新人") is None


def test_an_editors_change_is_recorded_under_the_signed_in_account(workspace):
    editor = workspace.acting_as(Actor("王工", "editor", via="password"))
    # Whatever name the page sends, the record carries the account's.
    parcel = editor.insert("p1", {"status": "planned"}, square(), "冒名者")
    assert parcel.updated_by == "王工"
    editor.update("p1", parcel.version, "冒名者", properties={"status": "supplied"})
    assert [e.user for e in workspace.history("p1")] == ["王工", "王工"]
    # Restoring an earlier version is an admin's.
    with pytest.raises(NotAllowedError):
        editor.restore("p1", 1, "王工")
    admin = workspace.acting_as(Actor("张工", "admin", via="password"))
    assert admin.restore("p1", 1, "张工").updated_by == "张工"


def test_the_proxy_header_is_believed_only_from_the_trusted_proxy(workspace):
    settings = auth_settings({"GEO_APP_AUTH": "header",
                              "GEO_APP_TRUSTED_PROXIES": "10.1.0.0/24"})
    actor = sign_in_with_header(workspace, {"x-remote-user": "王工"}, "10.1.0.5", settings)
    assert actor.name == "王工" and actor.via == "header"
    with pytest.raises(SignInError):
        sign_in_with_header(workspace, {"X-Remote-User": "张工"}, "192.168.9.9", settings)
    with pytest.raises(SignInError):
        sign_in_with_header(workspace, {"X-Remote-User": "无名"}, "10.1.0.5", settings)


def test_header_sign_in_without_trusted_proxies_is_refused_as_a_setting():
    with pytest.raises(KeyedError):
        auth_settings({"GEO_APP_AUTH": "header"})
    with pytest.raises(KeyedError):
        auth_settings({"GEO_APP_AUTH": "ldap"})


@pytest.mark.parametrize(("environ", "address", "refused"), [
    ({}, "127.0.0.1", False),
    ({}, "0.0.0.0", True),
    ({}, "", True),
    ({"GEO_APP_ALLOW_OPEN": "1"}, "0.0.0.0", False),
    ({"GEO_APP_AUTH": "local"}, "0.0.0.0", False),
])
def test_an_app_open_to_the_network_needs_sign_in_or_an_explicit_yes(environ, address, refused):
    settings = auth_settings(environ)
    if refused:
        with pytest.raises(KeyedError) as open_app:
            check_exposure(settings, address)
        assert "GEO_APP_AUTH" in open_app.value.problem.message_zh
    else:
        check_exposure(settings, address)
