"""Accounts of a shared workspace and the record of every sign-in attempt.

Stored in the workspace itself, so every app server on it (and the command line) sees the
same accounts, the same disabled ones and the same failed attempts. Passwords arrive here
already hashed (:mod:`geo_app.accounts.passwords`); this module never sees one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from geo_app.workspace.actors import checked_role
from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import refusal
from geo_app.workspace.records import utc_now
from geo_app.workspace.schema import ACCOUNTS_TABLE, SIGN_INS_TABLE

MAX_NAME_CHARS = 64
OUTCOMES = ("ok", "wrong_password", "unknown", "disabled", "throttled", "no_password")


@dataclass(frozen=True)
class Account:
    account_id: int
    name: str
    role: str
    # None for accounts that sign in through the bureau's proxy or identity provider.
    password_hash: str | None
    disabled: bool
    created_at: str
    created_by: str
    changed_at: str
    changed_by: str


_COLUMNS = ("id, name, role, password_hash, disabled, created_at, created_by, changed_at, "
            "changed_by")


def _account(row) -> Account:
    return Account(int(row[0]), row[1], row[2], row[3], bool(row[4]), row[5], row[6], row[7],
                   row[8])


def checked_name(name: str) -> str:
    """An account name: trimmed, printable, not empty, at most 64 characters."""
    text = " ".join((name or "").split())
    if not text or not text.isprintable() or len(text) > MAX_NAME_CHARS:
        raise refusal("account_name", limit=MAX_NAME_CHARS)
    return text


def find(connection: Connection, name: str) -> Account | None:
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM {ACCOUNTS_TABLE} WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else _account(row)


def get(connection: Connection, name: str) -> Account:
    found = find(connection, name)
    if found is None:
        raise refusal("account_unknown", name=name)
    return found


def every(connection: Connection) -> list[Account]:
    rows = connection.execute(f"SELECT {_COLUMNS} FROM {ACCOUNTS_TABLE} ORDER BY id").fetchall()
    return [_account(row) for row in rows]


def add(connection: Connection, name: str, role: str, password_hash: str | None,
        by: str) -> Account:
    name, role = checked_name(name), checked_role(role)
    if find(connection, name) is not None:
        raise refusal("account_exists", name=name)
    now = utc_now()
    connection.execute(
        f"INSERT INTO {ACCOUNTS_TABLE} (name, role, password_hash, disabled, created_at, "
        "created_by, changed_at, changed_by) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
        (name, role, password_hash, now, by, now, by),
    )
    return get(connection, name)


def change(connection: Connection, name: str, by: str, *,
           role: str | None = None, password_hash: str | None = None,
           disabled: bool | None = None) -> Account:
    account = get(connection, name)
    connection.execute(
        f"UPDATE {ACCOUNTS_TABLE} SET role = ?, password_hash = ?, disabled = ?, "
        "changed_at = ?, changed_by = ? WHERE id = ?",
        (checked_role(role) if role is not None else account.role,
         password_hash if password_hash is not None else account.password_hash,
         int(disabled) if disabled is not None else int(account.disabled),
         utc_now(), by, account.account_id),
    )
    return get(connection, name)


def record_sign_in(connection: Connection, name: str, source: str, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown sign-in outcome {outcome!r}")
    connection.execute(
        f"INSERT INTO {SIGN_INS_TABLE} (at, name, source, outcome) VALUES (?, ?, ?, ?)",
        (utc_now(), name[:MAX_NAME_CHARS], source[:100], outcome),
    )


def failures_since(connection: Connection, name: str, since: dt.datetime) -> int:
    """Failed attempts on ``name`` since ``since`` (UTC), up to its last success."""
    stamp = since.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    last_ok = connection.execute(
        f"SELECT max(at) FROM {SIGN_INS_TABLE} WHERE name = ? AND outcome = 'ok'", (name,)
    ).fetchone()[0]
    start = max(stamp, last_ok) if last_ok else stamp
    return int(connection.execute(
        f"SELECT count(*) FROM {SIGN_INS_TABLE} WHERE name = ? AND at > ? "
        "AND outcome IN ('wrong_password', 'unknown', 'disabled', 'no_password')",
        (name, start),
    ).fetchone()[0])


def attempts(connection: Connection, limit: int = 100) -> list[tuple[str, str, str, str]]:
    """The latest sign-in attempts, newest first: (at, name, source, outcome)."""
    return [tuple(row) for row in connection.execute(
        f"SELECT at, name, source, outcome FROM {SIGN_INS_TABLE} ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()]
