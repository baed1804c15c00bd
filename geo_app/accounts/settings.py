"""How users sign in, from the environment (one place for every sign-in setting).

``GEO_APP_AUTH``: ``none`` (the default: one planner, 127.0.0.1 only), ``local`` (accounts
in the workspace, passwords), ``header`` (a trusted header from the bureau's single-sign-on
proxy), ``oidc`` (Streamlit's ``st.login`` with the identity provider in
``.streamlit/secrets.toml``).

With ``oidc`` the secrets' ``[auth]`` table must hold what ``st.login`` signs in with
(:data:`OIDC_KEYS`); :func:`check_identity_provider` says which are missing.

``GEO_APP_AUTH_HEADER`` names the header (default ``X-Remote-User``) and
``GEO_APP_TRUSTED_PROXIES`` the proxy addresses it is believed from (comma-separated IPs or
networks; required for ``header``). ``GEO_APP_SESSION_HOURS`` is how long a sign-in lasts
(default 8). ``GEO_APP_ALLOW_OPEN=1`` lets the app run without sign-in on an address other
than 127.0.0.1, knowingly.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from geo_app.problems import KeyedError

Mode = Literal["none", "local", "header", "oidc"]
MODES: tuple[Mode, ...] = ("none", "local", "header", "oidc")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# What Streamlit's st.login needs in the secrets' [auth] table. The page signs in with the
# default provider, whose last three keys may instead sit in a table of their own,
# [auth.default] (Streamlit then reads them only there).
OIDC_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")
PROVIDER_KEYS = OIDC_KEYS[2:]
# Where Streamlit takes the provider's answer: the redirect_uri must end with it.
OIDC_CALLBACK = "/oauth2callback"


@dataclass(frozen=True)
class AuthSettings:
    mode: Mode = "none"
    header: str = "X-Remote-User"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    session_hours: float = 8.0
    allow_open: bool = False
    # Failed attempts on one account within the window before it is held.
    max_failures: int = 5
    window_minutes: int = 15

    @property
    def signs_in(self) -> bool:
        return self.mode != "none"

    def trusts(self, address: str | None) -> bool:
        """Whether a request from ``address`` may carry the identity header."""
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def auth_settings(environ: Mapping[str, str] = os.environ) -> AuthSettings:
    mode = environ.get("GEO_APP_AUTH", "none").strip().lower() or "none"
    if mode not in MODES:
        raise KeyedError("error.auth_mode", mode=mode, modes=", ".join(MODES))
    proxies = []
    for part in environ.get("GEO_APP_TRUSTED_PROXIES", "").split(","):
        if part.strip():
            try:
                proxies.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise KeyedError("error.auth_proxy", value=part.strip()) from None
    if mode == "header" and not proxies:
        raise KeyedError("error.auth_header_needs_proxies")
    try:
        hours = float(environ.get("GEO_APP_SESSION_HOURS", "8"))
    except ValueError:
        hours = -1
    if not 0 < hours <= 24 * 30:
        raise KeyedError("error.auth_session_hours",
                         value=environ.get("GEO_APP_SESSION_HOURS", ""))
    return AuthSettings(
        mode=mode,  # type: ignore[arg-type]
        header=environ.get("GEO_APP_AUTH_HEADER", "X-Remote-User").strip() or "X-Remote-User",
        trusted_proxies=tuple(proxies),
        session_hours=hours,
        allow_open=environ.get("GEO_APP_ALLOW_OPEN", "") == "1",
    )


def check_exposure(settings: AuthSettings, address: str | None) -> None:
    """Refuse to serve everyone on the network without sign-in, unless told to run open."""
    bound = (address or "").strip() or "0.0.0.0"  # Streamlit's default listens everywhere
    if settings.signs_in or settings.allow_open or bound in LOOPBACK:
        return
    raise KeyedError("error.auth_open", address=bound)


def check_identity_provider(settings: AuthSettings, auth: Mapping[str, Any] | None) -> None:
    """With ``oidc``, refuse an ``[auth]`` table (``auth``, the secrets' or None when there
    is none) that ``st.login`` could not sign anyone in with, naming what is missing or
    wrong; the secrets themselves are never repeated."""
    if settings.mode != "oidc":
        return
    auth = auth if isinstance(auth, Mapping) else {}
    default = auth.get("default")
    provider = default if isinstance(default, Mapping) else auth

    def given(table: Mapping[str, Any], key: str) -> bool:
        value = table.get(key)
        return value is not None and not isinstance(value, Mapping) and bool(str(value).strip())

    missing = [key for key in OIDC_KEYS
               if not given(provider if key in PROVIDER_KEYS else auth, key)]
    if missing:
        raise KeyedError("error.auth_oidc_secrets", keys=", ".join(missing))
    for key, table in (("redirect_uri", auth), ("server_metadata_url", provider)):
        value = str(table[key]).strip()
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise KeyedError("error.auth_oidc_url", key=key, value=value)
    redirect = str(auth["redirect_uri"]).strip()
    if not urlsplit(redirect).path.endswith(OIDC_CALLBACK):
        raise KeyedError("error.auth_oidc_redirect", value=redirect, path=OIDC_CALLBACK)
