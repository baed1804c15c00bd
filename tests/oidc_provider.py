"""A small OpenID Connect identity provider on 127.0.0.1, for tests of signing in through the
bureau's provider (GEO_APP_AUTH=oidc) with no network.

It serves what Streamlit's ``st.login`` (through Authlib) asks of a provider:

- ``/.well-known/openid-configuration``: where the other three are;
- ``/authorize``: no form; it sends the browser straight back to the app's redirect_uri with
  a one-time code for whoever the test has put in :attr:`IdentityProvider.user`;
- ``/token``: takes the code once, from the registered client (HTTP Basic or form), and
  answers with an access token and an RS256-signed id_token carrying the user's claims,
  the nonce of the authorize request, ``iss``, ``aud``, ``iat`` and ``exp``;
- ``/jwks``: the public key the id_token is checked with.

Use it as a context manager; :meth:`IdentityProvider.auth_secrets` is the ``[auth]`` table
that points an app at it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "geo-app"
CLIENT_SECRET = "the provider's secret for the app"  # a test's, on 127.0.0.1
# One key for every provider a test run starts (making an RSA key takes a moment).
_KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"}, private=True)


class IdentityProvider:
    """The provider, on a free port of 127.0.0.1 while the ``with`` block runs."""

    def __init__(self, user: dict[str, Any] | None = None) -> None:
        # The claims of whoever signs in next (``sub`` is filled in when missing).
        self.user: dict[str, Any] = dict(user or {})
        # The ``sub`` of every id_token issued, in order.
        self.issued: list[str] = []
        self._codes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> IdentityProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def auth_secrets(self, redirect_uri: str) -> dict[str, str]:
        """The secrets' ``[auth]`` table for an app whose callback is ``redirect_uri``."""
        return {
            "redirect_uri": redirect_uri,
            "cookie_secret": secrets.token_hex(32),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "server_metadata_url": self.metadata_url,
        }

    # ------------------------------------------------------------------ the endpoints

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: back to the app with a code, or with an error."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID or not redirect_uri:
            raise ValueError("unknown client or no redirect_uri")
        answer: dict[str, str] = {"state": query.get("state", "")}
        if query.get("response_type") != "code":
            answer["error"] = "unsupported_response_type"
        else:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._codes[code] = {"claims": dict(self.user), "nonce": query.get("nonce"),
                                     "redirect_uri": redirect_uri}
            answer["code"] = code
        return f"{redirect_uri}?{urlencode(answer)}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        """The token endpoint's status and answer for a code exchange."""
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            pair = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = (unquote(part) for part in pair.partition(":"))
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if (form.get("grant_type") != "authorization_code" or grant is None
                or grant["redirect_uri"] != form.get("redirect_uri")):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"sub": grant["claims"].get("preferred_username")
                  or grant["claims"].get("email") or "someone",
                  **grant["claims"],
                  "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": _KEY.kid}, claims, _KEY)
        self.issued.append(claims["sub"])
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_KEY.as_dict(private=False)]}


def _handler(provider: IdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.metadata())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                try:
                    location = provider.authorize(query)
                except ValueError as exc:
                    self._json(400, {"error": "invalid_request", "error_description": str(exc)})
                    return
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            self._json(*provider.token(form, self.headers.get("Authorization")))

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass  # quiet: the tests say what went wrong

    return Handler
