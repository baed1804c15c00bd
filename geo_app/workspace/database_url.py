"""A PostgreSQL URL as the workspace uses it: connected to, and only ever shown with its
password masked (in messages and errors alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from geo_app.problems import GeoAppError

if TYPE_CHECKING:
    import psycopg

URL_SCHEMES = ("postgresql://", "postgres://")
# Seconds to wait for a server that does not answer, unless the URL says otherwise.
CONNECT_TIMEOUT_S = 10
MASK = "***"


def _split_user_info(url: str) -> tuple[str, str, str]:
    """(scheme with ://, user info, the rest from the ``@`` on) as written, without parsing
    what may be malformed. The user info runs to the last ``@``: a password with an
    unescaped ``/``, ``?`` or ``@`` in it is still taken whole (when in doubt, more is
    masked, never less)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    return (scheme + sep, *((rest[:at], rest[at:]) if at >= 0 else ("", rest)))


def _with_user_password_masked(url: str) -> tuple[str, str]:
    """``url`` with the user info's password as ***, and that password ('' if none)."""
    scheme, userinfo, rest = _split_user_info(url)
    user, colon, password = userinfo.partition(":")
    return scheme + user + (f":{MASK}" if colon else "") + rest, password


def _query_parts(url: str) -> tuple[str, list[str]]:
    head, _, query = url.partition("?")
    return head, query.split("#", 1)[0].split("&") if query else []


def _passwords(url: str) -> list[str]:
    """Every password the URL holds, as written: in the user info, in the query."""
    masked, password = _with_user_password_masked(url)
    found = [password] if password else []
    for part in _query_parts(masked)[1]:
        key, _, value = part.partition("=")
        if unquote(key) == "password" and value:
            found.append(value)
    return found


def masked_url(url: str) -> str:
    """``url`` with any password (in the user info or a ``password=`` parameter) as ***."""
    shown, _ = _with_user_password_masked(url)
    if "?" not in shown:
        return shown
    head, parts = _query_parts(shown)
    fragment = shown.partition("?")[2].partition("#")
    masked = []
    for part in parts:
        key, sep, _ = part.partition("=")
        masked.append(f"{key}={MASK}" if sep and unquote(key) == "password" else part)
    return head + "?" + "&".join(masked) + fragment[1] + fragment[2]


def scrubbed(text: str, url: str) -> str:
    """A message from a library, on one line, with the URL masked and its password gone in
    any spelling (libpq does not print passwords; this makes sure of it)."""
    out = " ".join(str(text).split()).replace(url, masked_url(url))
    for secret in _passwords(url):
        for spelling in {secret, unquote(secret)}:
            if spelling:
                out = out.replace(spelling, MASK)
    return out


def connect(url: str, *, application_name: str, refuse: Callable[..., GeoAppError],
            **settings: Any) -> psycopg.Connection:
    """A connection in autocommit mode until a transaction block is entered (its BEGIN and
    COMMIT are then the caller's own: a query before it would open an implicit transaction
    and make the block a mere savepoint inside it); an unreachable server is refused with
    ``refuse("postgis_unreachable", ...)``, the URL masked. ``settings`` are server settings
    for the session (such as ``lock_timeout``)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    extra: dict[str, Any] = {"application_name": application_name, "autocommit": True}
    if "connect_timeout" not in conninfo_to_dict(url):
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    if settings:
        extra["options"] = " ".join(f"-c {name}={value}" for name, value in settings.items())
    try:
        return psycopg.connect(url, **extra)
    except psycopg.Error as exc:
        raise refuse("postgis_unreachable", url=masked_url(url),
                     reason=scrubbed(str(exc), url)) from None


def require_postgis(connection: psycopg.Connection, url: str,
                    refuse: Callable[..., GeoAppError]) -> None:
    if connection.execute(
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
    ).fetchone() is None:
        raise refuse("postgis_missing", url=masked_url(url))
