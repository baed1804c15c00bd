"""Sign-in for a shared workspace: who the user is, checked before anything is shown.

Three ways, chosen in settings (:mod:`~geo_app.accounts.settings`): local accounts with
Argon2id password hashes (:mod:`~geo_app.accounts.passwords`, accounts kept in the
workspace, ``geo-app users``), a trusted header set by the bureau's single-sign-on proxy
(only from the proxy addresses configured), or OpenID Connect through Streamlit's
``st.login`` (the provider in the secrets' ``[auth]``, checked before the page offers it).
:mod:`~geo_app.accounts.sign_in` checks a password against the workspace's
accounts, throttles wrong guesses and records every attempt, and gives back the
:class:`~geo_app.workspace.actors.Actor` whose role the workspace enforces on every change.

Without any of them the app serves a single planner on 127.0.0.1 and says so; bound to any
other address without sign-in it refuses to start unless told to run open.
"""

from geo_app.accounts.passwords import hash_password, verify_password
from geo_app.accounts.settings import (
    AuthSettings,
    auth_settings,
    check_exposure,
    check_identity_provider,
)
from geo_app.accounts.sign_in import (
    SignInError,
    sign_in_vouched,
    sign_in_with_header,
    sign_in_with_password,
)

__all__ = [
    "AuthSettings",
    "SignInError",
    "auth_settings",
    "check_exposure",
    "check_identity_provider",
    "hash_password",
    "sign_in_vouched",
    "sign_in_with_header",
    "sign_in_with_password",
    "verify_password",
]
