"""Who is using the page: the sign-in gate, run before anything else is drawn.

Streamlit code only; the checks are in :mod:`geo_app.accounts`. With no sign-in configured
(``GEO_APP_AUTH`` unset) the page serves one planner and says so; the server refuses to serve
the network that way (:func:`geo_app.accounts.check_exposure`). Otherwise the page shows only
a sign-in form until the user is recognised, keeps the account and its role for the
session, and asks again once the sign-in has expired (``GEO_APP_SESSION_HOURS``).

The actor found here is what :func:`app_parts.workspace_source.open_workspace` binds the
workspace to, so every change is checked against the account's role by the core and
recorded under the account's name.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from app_parts.page_data import escape_markdown
from geo_app.accounts import (
    SignInError,
    auth_settings,
    check_exposure,
    check_identity_provider,
    sign_in_vouched,
    sign_in_with_header,
    sign_in_with_password,
)
from geo_app.accounts.settings import AuthSettings
from geo_app.i18n import Strings
from geo_app.problems import GeoAppError
from geo_app.workspace import Workspace, WorkspaceError, configured_place
from geo_app.workspace.actors import OWNER, Actor, roles

SIGNED_IN = "signed_in"


def _workspace() -> Workspace:
    return Workspace.at(configured_place())


def acting_workspace() -> Workspace:
    """The workspace, every change checked against this session's actor and recorded under
    the actor's name: the one every panel writes through."""
    return _workspace().acting_as(current_actor())


def current_actor() -> Actor:
    """The signed-in actor of this session, or the owner when sign-in is off."""
    kept = st.session_state.get(SIGNED_IN)
    if not kept:
        return OWNER
    return Actor(kept["name"], kept["role"], via=kept["via"])


def gate(strings: Strings, lang: str, language_switch: Callable[[], None]) -> Actor:
    """The actor for this run; draws the sign-in form (with ``language_switch``) and stops
    the run when there is none."""
    t = lambda key, **v: strings.get(key, lang, **v)  # noqa: E731
    try:
        settings = auth_settings()
        check_exposure(settings, st.get_option("server.address"))
        check_identity_provider(settings, _auth_secrets())
    except GeoAppError as exc:
        st.error(escape_markdown(exc.message(lang)))
        st.stop()
    if not settings.signs_in:
        st.session_state.pop(SIGNED_IN, None)
        return OWNER
    kept = st.session_state.get(SIGNED_IN)
    if kept and time.time() - kept["at"] < settings.session_hours * 3600:
        _refresh_role(kept)
        return current_actor()
    if kept:
        st.session_state.pop(SIGNED_IN, None)
        st.info(t("app.sign_in.expired", hours=f"{settings.session_hours:g}"))
    actor = _recognise(settings, t, lang)
    if actor is None:
        language_switch()
        st.stop()
    st.session_state[SIGNED_IN] = {"name": actor.name, "role": actor.role, "via": actor.via,
                                   "at": time.time()}
    return actor


def _auth_secrets() -> object:
    """The secrets' ``[auth]`` table (what ``st.login`` signs in with), or None."""
    try:
        return st.secrets.get("auth")
    except FileNotFoundError:
        # No secrets file at all (Streamlit's own error subclasses FileNotFoundError).
        return None


def _refresh_role(kept: dict) -> None:
    """A role changed or an account disabled by an admin takes effect on the next rerun."""
    try:
        account = _workspace().account(kept["name"])
    except WorkspaceError:
        return
    if account is None or account.disabled:
        st.session_state.pop(SIGNED_IN, None)
        st.rerun()
    kept["role"] = account.role


def _recognise(settings: AuthSettings, t, lang: str) -> Actor | None:
    # Streamlit reports a connection from this machine (a proxy in front of the app on the
    # same host, or a planner at it) as no address at all.
    address = st.context.ip_address
    address = address if isinstance(address, str) and address else "127.0.0.1"
    try:
        if settings.mode == "header":
            return sign_in_with_header(_workspace(), dict(st.context.headers), address,
                                       settings)
        if settings.mode == "oidc":
            return _oidc(settings, t, address)
        return _password_form(settings, t, address)
    except (SignInError, WorkspaceError) as exc:
        st.error(escape_markdown(exc.message(lang)))
        return None


def _password_form(settings: AuthSettings, t, address: str) -> Actor | None:
    st.title(t("app.sign_in.title"))
    with st.form("sign_in", border=True):
        name = st.text_input(t("app.sign_in.name"), key="sign_in_name")
        password = st.text_input(t("app.sign_in.password"), type="password",
                                 key="sign_in_password")
        sent = st.form_submit_button(t("app.sign_in.submit"), type="primary")
    if not sent:
        return None
    return sign_in_with_password(_workspace(), name, password, address, settings)


def _oidc(settings: AuthSettings, t, address: str) -> Actor | None:
    """The bureau's identity provider through Streamlit's own ``st.login``; the account is the
    one named by the provider's ``preferred_username`` (else ``email``), which an admin must
    have added (``geo-app users add NAME --role R --no-password``)."""
    if not st.user.is_logged_in:
        st.title(t("app.sign_in.title"))
        if st.button(t("app.sign_in.with_provider"), type="primary"):
            st.login()
        return None
    name = str(st.user.get("preferred_username") or st.user.get("email") or "")
    try:
        return sign_in_vouched(_workspace(), name, address, via="oidc")
    except SignInError:
        # Signed in at the provider as someone with no account here: without a way out the
        # provider's cookie would keep them on this message.
        if st.button(t("app.sign_in.other_account"), key="oidc_other_account"):
            st.logout()
        raise


def account_box(actor: Actor, strings: Strings, lang: str) -> None:
    """In the sidebar: who is signed in with which role, and a way out; or, without
    sign-in, that the page serves one planner on this machine."""
    t = lambda key, **v: strings.get(key, lang, **v)  # noqa: E731
    bar = st.sidebar
    if actor.via == "owner":
        bar.caption(t("app.sign_in.single_user"))
        return
    bar.caption(t("app.sign_in.as", account=escape_markdown(actor.name),
                  role=roles().label(actor.role, lang)))
    if bar.button(t("app.sign_in.sign_out"), key="sign_out"):
        st.session_state.pop(SIGNED_IN, None)
        if actor.via == "oidc":
            # The browser is sent to Streamlit's /auth/logout, which forgets the provider's
            # cookie and opens a new session; a rerun here would drop that redirect, and the
            # cookie would sign the planner in again on the next visit.
            st.logout()
            return
        st.rerun()


# The name a planner typed in one panel is offered in the others (without sign-in).
TYPED_KEYS = ("import_user", "editor_user", "reference_user", "import_history_user")


def may(action: str) -> bool:
    """Whether this session's actor may do ``action``: what the page offers (the workspace
    checks it again on every change)."""
    return current_actor().may(action)


def user_field(t, label_key: str, key: str, max_chars: int = 100) -> str:
    """The name a change is recorded under: the signed-in account's (said, not asked), or,
    without sign-in, the name typed in this panel (offered from another panel)."""
    actor = current_actor()
    if actor.via != "owner":
        st.caption(t("app.sign_in.changes_as", account=escape_markdown(actor.name)))
        return actor.name
    if not st.session_state.get(key):
        typed = next((st.session_state[k] for k in TYPED_KEYS if st.session_state.get(k)), None)
        if typed:
            st.session_state[key] = typed
    return (st.text_input(t(label_key), key=key, max_chars=max_chars) or "").strip()
