"""``geo-app users``: the accounts of a shared workspace (add, passwd, role, disable, enable,
list, attempts). Run by whoever holds the workspace's files (the operating-system user), as
the bureau's first admin is made: there is no default account and no default password.

Passwords are read from the terminal (asked twice) or, for scripts, as one line from
standard input with ``--password-stdin``; never from the command line, where other users of
the machine could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from geo_app.accounts.passwords import hash_password, weak_reason
from geo_app.cli.support import EXIT_OK, Command, Console, Translate, add_json_argument, table_lines
from geo_app.cli.workspace import _add_user, _user, add_workspace_argument, opened_workspace
from geo_app.problems import KeyedError
from geo_app.workspace import Workspace
from geo_app.workspace.accounts import Account
from geo_app.workspace.actors import ROLE_NAMES, roles


def _arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=tr(f"cli.users.{name}.help"),
                                 description=tr(f"cli.users.{name}.help"))
        add_workspace_argument(sub, tr)
        return sub

    add = action("add")
    add.add_argument("name", metavar="NAME", help=tr("cli.users.name"))
    add.add_argument("--role", required=True, choices=ROLE_NAMES, help=tr("cli.users.role_option"))
    add.add_argument("--password-stdin", action="store_true", help=tr("cli.users.stdin"))
    add.add_argument("--no-password", action="store_true", help=tr("cli.users.no_password"))
    _add_user(add, tr)
    passwd = action("passwd")
    passwd.add_argument("name", metavar="NAME", help=tr("cli.users.name"))
    passwd.add_argument("--password-stdin", action="store_true", help=tr("cli.users.stdin"))
    _add_user(passwd, tr)
    role = action("role")
    role.add_argument("name", metavar="NAME", help=tr("cli.users.name"))
    role.add_argument("role", choices=ROLE_NAMES, help=tr("cli.users.role_option"))
    _add_user(role, tr)
    for name in ("disable", "enable"):
        sub = action(name)
        sub.add_argument("name", metavar="NAME", help=tr("cli.users.name"))
        _add_user(sub, tr)
    listing = action("list")
    add_json_argument(listing, tr)
    attempts = action("attempts")
    attempts.add_argument("--limit", type=int, default=50, metavar="N")
    add_json_argument(attempts, tr)


def _new_password(args: argparse.Namespace, console: Console) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(console.text("cli.users.ask"))
        if getpass.getpass(console.text("cli.users.ask_again")) != password:
            raise KeyedError("error.password_mismatch")
    reason = weak_reason(password, args.name)
    if reason is not None:
        raise KeyedError(f"error.{reason}")
    return password


def account_json(account: Account) -> dict[str, Any]:
    return {"name": account.name, "role": account.role, "disabled": account.disabled,
            "password": account.password_hash is not None,
            "created_at": account.created_at, "created_by": account.created_by,
            "changed_at": account.changed_at, "changed_by": account.changed_by}


def _run(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    tr = console.text
    if args.action == "list":
        return _list(workspace, args, console)
    if args.action == "attempts":
        rows = workspace.sign_in_attempts(max(args.limit, 1))
        if args.json:
            console.json([dict(zip(("at", "name", "source", "outcome"), row, strict=True))
                          for row in rows])
            return EXIT_OK
        table = [[tr(f"cli.users.column.{c}") for c in ("at", "name", "source", "outcome")]]
        table += [[at, name, source, tr(f"cli.users.outcome.{outcome}")]
                  for at, name, source, outcome in rows]
        for line in table_lines(table):
            console.print(line)
        return EXIT_OK
    by = _user(args)
    if args.action == "add":
        password = None if args.no_password else hash_password(_new_password(args, console))
        account = workspace.add_account(args.name, args.role, password, by)
        console.print(tr("cli.users.added", name=account.name,
                         role=roles().label(account.role, console.lang)))
    elif args.action == "passwd":
        workspace.change_account(args.name, by,
                                 password_hash=hash_password(_new_password(args, console)))
        console.print(tr("cli.users.password_set", name=args.name))
    elif args.action == "role":
        account = workspace.change_account(args.name, by, role=args.role)
        console.print(tr("cli.users.role_set", name=account.name,
                         role=roles().label(account.role, console.lang)))
    else:
        account = workspace.change_account(args.name, by, disabled=args.action == "disable")
        console.print(tr(f"cli.users.{args.action}d", name=account.name))
    return EXIT_OK


def _list(workspace: Workspace, args: argparse.Namespace, console: Console) -> int:
    found = workspace.accounts()
    if args.json:
        console.json([account_json(a) for a in found])
        return EXIT_OK
    tr = console.text
    if not found:
        console.print(tr("cli.users.none"))
        return EXIT_OK
    rows = [[tr(f"cli.users.column.{c}") for c in ("name", "role", "state", "changed")]]
    for account in found:
        state = tr("cli.users.state.disabled") if account.disabled else tr(
            "cli.users.state.active")
        rows.append([account.name, roles().label(account.role, console.lang), state,
                     f"{account.changed_at} {account.changed_by}"])
    for line in table_lines(rows):
        console.print(line)
    return EXIT_OK


def users_commands() -> list[Command]:
    return [Command("users", "cli.users.help", _arguments, _run)]
