"""``geo-app users``: the first admin from the command line, no default password, passwords
never on the command line."""

from __future__ import annotations

import io
import json

import pytest

from geo_app.accounts import verify_password
from geo_app.cli import main
from geo_app.workspace import DATA_ENV, Workspace


@pytest.fixture(autouse=True)
def no_configured_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def run(*argv, stdin: str = ""):
    out, err = io.StringIO(), io.StringIO()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(map(str, argv)), stdout=out, stderr=err)
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def test_the_first_admin_is_made_from_the_command_line(tmp_path):
    ws = tmp_path / "ws"
    code, out, _ = run("users", "list", "--workspace", ws)
    assert code == 0 and "geo-app users add" in out
    code, out, err = run("users", "add", "张工", "--role", "admin", "--password-stdin",
                         "--workspace", ws, "--user", "ops", stdin="a long passphrase\n")
    assert code == 0, err
    account = Workspace.open(ws).account("张工")
    assert account.role == "admin" and account.created_by == "ops"
    assert verify_password(account.password_hash, "a long passphrase")
    code, out, _ = run("users", "list", "--workspace", ws, "--json")
    [listed] = json.loads(out)
    assert listed == {**listed, "name": "张工", "role": "admin", "password": True}
    assert "hash" not in out


@pytest.mark.parametrize(("password", "key"), [("short", "10"), ("张工 is my pass", "账号名")])
def test_weak_passwords_are_refused(tmp_path, password, key):
    code, _, err = run("users", "add", "张工", "--role", "admin", "--password-stdin",
                       "--workspace", tmp_path / "ws", stdin=password + "\n")
    assert code == 1 and key in err
    assert Workspace.open(tmp_path / "ws").accounts() == []


def test_role_disable_enable_passwd_and_attempts(tmp_path):
    ws = tmp_path / "ws"
    run("users", "add", "王工", "--role", "viewer", "--password-stdin", "--workspace", ws,
        stdin="first passphrase\n")
    assert run("users", "role", "王工", "editor", "--workspace", ws)[0] == 0
    assert run("users", "disable", "王工", "--workspace", ws)[0] == 0
    assert Workspace.open(ws).account("王工").disabled
    assert run("users", "enable", "王工", "--workspace", ws)[0] == 0
    assert run("users", "passwd", "王工", "--password-stdin", "--workspace", ws,
               stdin="second passphrase\n")[0] == 0
    account = Workspace.open(ws).account("王工")
    assert account.role == "editor" and not account.disabled
    assert verify_password(account.password_hash, "second passphrase")
    code, _, err = run("users", "role", "赵工", "admin", "--workspace", ws)
    assert code == 1 and "没有账号 赵工" in err
    assert run("users", "attempts", "--workspace", ws, "--json")[1].strip() == "[]"


def test_an_account_without_a_password_for_the_proxy(tmp_path):
    ws = tmp_path / "ws"
    assert run("users", "add", "wanggong", "--role", "editor", "--no-password",
               "--workspace", ws)[0] == 0
    assert Workspace.open(ws).account("wanggong").password_hash is None
