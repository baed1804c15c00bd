"""Checking who someone is: a password against the workspace's accounts, or the identity
header of a trusted proxy. Every attempt is recorded; wrong guesses are throttled per
account across every app server (the count lives in the workspace)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from geo_app.accounts.passwords import hash_password, needs_rehash, verify_password
from geo_app.accounts.settings import AuthSettings
from geo_app.problems import KeyedError
from geo_app.workspace import Workspace
from geo_app.workspace.actors import OWNER, Actor


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so that an unknown name takes as
    long as a wrong password and does not tell a guesser which names exist."""
    return hash_password("not a password of anyone")


class SignInError(KeyedError):
    """Signing in failed; the words never say whether the name or the password was wrong."""


def sign_in_with_password(workspace: Workspace, name: str, password: str, source: str,
                          settings: AuthSettings, now: dt.datetime | None = None) -> Actor:
    now = now or dt.datetime.now(dt.UTC)
    name = " ".join((name or "").split())
    since = now - dt.timedelta(minutes=settings.window_minutes)
    if workspace.failed_sign_ins(name, since) >= settings.max_failures:
        workspace.record_sign_in(name, source, "throttled")
        raise SignInError("error.sign_in_throttled", minutes=settings.window_minutes)
    account = workspace.account(name) if name else None
    if account is None:
        verify_password(_dummy_hash(), password)
        outcome = "unknown"
    elif account.disabled:
        outcome = "disabled"
    elif account.password_hash is None:
        outcome = "no_password"
    elif not verify_password(account.password_hash, password):
        outcome = "wrong_password"
    else:
        outcome = "ok"
    workspace.record_sign_in(name or "—", source, outcome)
    if outcome != "ok":
        if outcome == "disabled":
            raise SignInError("error.sign_in_disabled")
        raise SignInError("error.sign_in_failed")
    assert account is not None and account.password_hash is not None
    if needs_rehash(account.password_hash):
        # The account rehashes its own password, which its role may not otherwise allow.
        owner = workspace.acting_as(OWNER)
        owner.change_account(account.name, account.name, password_hash=hash_password(password))
    return Actor(account.name, account.role, via="password")


def sign_in_with_header(workspace: Workspace, headers: dict[str, str], address: str | None,
                        settings: AuthSettings) -> Actor:
    """The account named by the proxy's header, when the request came from a trusted proxy
    and the account exists and is enabled (the bureau's admin gives each person a role)."""
    if not settings.trusts(address):
        workspace.record_sign_in("—", address or "—", "unknown")
        raise SignInError("error.sign_in_untrusted")
    wanted = settings.header.lower()
    name = next((v for k, v in headers.items() if k.lower() == wanted), "")
    return sign_in_vouched(workspace, str(name), address or "—", via="header")


def sign_in_vouched(workspace: Workspace, name: str, source: str, via: str) -> Actor:
    """The account of a name someone trusted has vouched for (the proxy, or the identity
    provider of ``st.login``): it must exist and be enabled here."""
    name = " ".join(name.split())
    account = workspace.account(name) if name else None
    if account is None or account.disabled:
        workspace.record_sign_in(name or "—", source, "disabled" if account else "unknown")
        raise SignInError("error.sign_in_no_account", name=name or "—")
    workspace.record_sign_in(name, source, "ok")
    return Actor(account.name, account.role, via=via)
