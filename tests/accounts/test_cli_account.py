"""The command line acting as a named account: its role is checked by the core and the
history records it; an unknown or disabled account is refused, and every attempt is kept."""

from __future__ import annotations

import getpass
import io
import json

import pytest
from bureau_files import pinyin_geopackage

from geo_app.cli import main
from geo_app.workspace import DATA_ENV, Workspace


@pytest.fixture(autouse=True)
def no_configured_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([*map(str, argv), "--lang", "en"], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def team(tmp_path):
    ws = tmp_path / "ws"
    for name, role in (("王工", "editor"), ("李工", "viewer"), ("赵工", "editor")):
        code, _, err = run("users", "add", name, "--role", role, "--no-password",
                           "--workspace", ws)
        assert code == 0, err
    assert run("users", "disable", "赵工", "--workspace", ws)[0] == 0
    return ws


def test_an_editor_account_imports_and_the_history_names_it(team, tmp_path):
    ledger = pinyin_geopackage(tmp_path)
    code, _, err = run("import", ledger, "--workspace", team, "--account", "王工")
    assert code == 0, err
    history = Workspace.open(team).history()
    # The file's batch (the samples it replaced were seeded by "sample"), every entry of it.
    batch = max(entry.batch_id for entry in history if entry.batch_id is not None)
    ours = [entry for entry in history if entry.batch_id == batch]
    assert len([e for e in ours if e.action == "import"]) > 5
    assert {entry.user for entry in ours} == {"王工"}


def test_a_viewer_account_is_refused_by_the_core_and_nothing_changes(team, tmp_path):
    ledger = pinyin_geopackage(tmp_path)
    before = Workspace.open(team).parcels()
    code, _, err = run("import", ledger, "--workspace", team, "--account", "李工")
    assert code != 0 and "李工" in err and "Traceback" not in err
    assert Workspace.open(team).parcels() == before
    # An editor may not manage accounts either.
    code, _, err = run("users", "role", "李工", "admin", "--workspace", team,
                       "--account", "王工")
    assert code != 0 and Workspace.open(team).account("李工").role == "viewer"


@pytest.mark.parametrize("name", ["赵工", "nobody"])
def test_a_disabled_or_unknown_account_is_refused_and_the_attempt_recorded(team, tmp_path,
                                                                          name):
    ledger = pinyin_geopackage(tmp_path)
    before = Workspace.open(team).history()
    code, _, err = run("import", ledger, "--workspace", team, "--account", name)
    assert code != 0 and name in err and "Traceback" not in err
    assert Workspace.open(team).history() == before
    code, out, _ = run("users", "attempts", "--workspace", team, "--json")
    latest = json.loads(out)[0]
    assert latest["name"] == name and latest["outcome"] in ("disabled", "unknown")
    assert latest["source"] == f"geo-app ({getpass.getuser()})"


def test_user_and_account_together_are_a_usage_error(team, tmp_path):
    ledger = pinyin_geopackage(tmp_path)
    code, _, err = run("import", ledger, "--workspace", team, "--account", "王工",
                       "--user", "someone")
    assert code == 2 and "--account" in err


def test_restoring_needs_an_admin_account_and_records_it(team, tmp_path):
    ledger = pinyin_geopackage(tmp_path)
    assert run("import", ledger, "--workspace", team, "--account", "王工")[0] == 0
    workspace = Workspace.open(team)
    parcel = workspace.parcels()[0]
    workspace.update(parcel.parcel_id, parcel.version, "王工", properties={"备注": "改"})
    code, _, err = run("restore", parcel.parcel_id, parcel.version, "--workspace", team,
                       "--account", "王工")
    assert code != 0 and "王工" in err  # an editor may not restore
    assert run("users", "add", "钱工", "--role", "admin", "--no-password",
               "--workspace", team)[0] == 0
    code, _, err = run("restore", parcel.parcel_id, parcel.version, "--workspace", team,
                       "--account", "钱工")
    assert code == 0, err
    latest = Workspace.open(team).history(parcel.parcel_id)[0]
    assert latest.action == "restore" and latest.user == "钱工"
