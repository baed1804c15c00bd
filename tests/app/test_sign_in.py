"""Sign-in on the page: nothing is shown before it, roles decide what is offered, the core
refuses what a role does not allow, and changes carry the signed-in account."""

from __future__ import annotations

import pytest
from app_harness import assert_clean, new_app, open_tab

from geo_app.accounts import hash_password
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace
from geo_app.workspace.actors import Actor, NotAllowedError

STRINGS = load_strings()
PASSWORD = "planners passphrase"


def zh(key: str, **values) -> str:
    return STRINGS.get(key, "zh", **values)


@pytest.fixture
def accounts(own_workspace, monkeypatch):
    monkeypatch.setenv("GEO_APP_AUTH", "local")
    workspace = Workspace.open(own_workspace)
    workspace.add_account("王工", "editor", hash_password(PASSWORD), "admin")
    workspace.add_account("李工", "viewer", hash_password(PASSWORD), "admin")
    return workspace


def signed_in(name: str):
    at = new_app().run()
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert_clean(at)
    return at


def test_without_sign_in_the_page_says_it_serves_one_planner(app):
    assert zh("app.sign_in.single_user") in [c.value for c in app.sidebar.caption]


def test_nothing_but_the_form_is_shown_before_signing_in(accounts):
    at = new_app().run()
    assert [t.value for t in at.title][-1] == zh("app.sign_in.title")
    assert not at.tabs and not at.metric
    assert not [e for e in at.get("component_instance")]  # no map either


def test_a_wrong_password_is_refused_in_the_pages_language(accounts):
    at = new_app().run()
    at.text_input(key="sign_in_name").input("王工")
    at.text_input(key="sign_in_password").input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [zh("error.sign_in_failed")]
    assert not at.metric


def test_an_editor_is_offered_the_import_and_records_changes_under_the_account(accounts):
    at = signed_in("王工")
    said = zh("app.sign_in.as", account="王工", role="编辑")
    assert said in [c.value for c in at.sidebar.caption]
    open_tab(at, "land")
    assert zh("app.sign_in.changes_as", account="王工") in [c.value for c in at.caption]
    assert not [t for t in at.text_input if t.key == "import_user"]  # no name to type


def test_a_viewer_is_offered_no_changes_and_a_forged_one_is_refused_by_the_core(accounts):
    at = signed_in("李工")
    open_tab(at, "land")
    assert not [t for t in at.text_input if t.key == "import_user"]
    labels = [e.label for e in at.expander]
    assert zh("app.import.title") not in labels and zh("app.editor.title") not in labels
    # What the page would do if a request were forged: the workspace itself refuses it.
    viewer = Workspace.open(accounts.path.parent).acting_as(Actor("李工", "viewer", "password"))
    parcel = viewer.parcels()[0]
    with pytest.raises(NotAllowedError):
        viewer.update(parcel.parcel_id, parcel.version, "王工", properties={})


def test_a_disabled_account_is_signed_out_on_its_next_rerun(accounts):
    at = signed_in("王工")
    assert at.metric
    accounts.change_account("王工", "admin", disabled=True)
    at.run()
    assert not at.metric and [t.value for t in at.title][-1] == zh("app.sign_in.title")


def test_a_sign_in_expires_after_the_configured_hours(accounts, monkeypatch):
    monkeypatch.setenv("GEO_APP_SESSION_HOURS", "8")
    at = signed_in("王工")
    assert at.metric
    at.session_state["signed_in"]["at"] -= 8 * 3600 + 1
    at.run()
    assert not at.metric
    assert zh("app.sign_in.expired", hours="8") in [i.value for i in at.info]
