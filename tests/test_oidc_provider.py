"""The tests' identity provider (tests/oidc_provider.py) answers as an OpenID Connect provider
must for Authlib to believe it: a code for the configured user, exchanged once by the
registered client for an id_token signed with the published key and carrying the nonce."""

from __future__ import annotations

import httpx
import pytest
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from oidc_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider

CALLBACK = "http://127.0.0.1:8501/oauth2callback"


@pytest.fixture
def provider():
    with IdentityProvider({"preferred_username": "wang.gong", "email": "wang@example.gov.cn"}
                          ) as provider:
        yield provider


def code_for(client: httpx.Client, metadata: dict, nonce: str = "n-1") -> str:
    answer = client.get(metadata["authorization_endpoint"], params={
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK,
        "scope": "openid email profile", "state": "s-1", "nonce": nonce})
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    assert str(location).startswith(CALLBACK) and location.params["state"] == "s-1"
    return location.params["code"]


def test_a_code_becomes_a_signed_id_token_with_the_users_claims_and_nonce(provider):
    with httpx.Client() as client:
        metadata = client.get(provider.metadata_url).json()
        assert metadata["issuer"] == provider.issuer
        code = code_for(client, metadata)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        token = client.post(metadata["token_endpoint"], data=form,
                            auth=(CLIENT_ID, CLIENT_SECRET)).json()
        # The same code does not work twice.
        again = client.post(metadata["token_endpoint"], data=form,
                            auth=(CLIENT_ID, CLIENT_SECRET))
        assert again.status_code == 400
        keys = KeySet.import_key_set(client.get(metadata["jwks_uri"]).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(decoded.claims, decoded.header,
                         {"iss": {"values": [provider.issuer]}},
                         {"nonce": "n-1", "client_id": CLIENT_ID,
                          "access_token": token["access_token"]})
    claims.validate()
    assert claims["preferred_username"] == "wang.gong" and claims["aud"] == CLIENT_ID
    assert provider.issued == ["wang.gong"]


def test_only_the_registered_client_gets_a_token(provider):
    with httpx.Client() as client:
        metadata = client.get(provider.metadata_url).json()
        form = {"grant_type": "authorization_code", "code": code_for(client, metadata),
                "redirect_uri": CALLBACK}
        refused = client.post(metadata["token_endpoint"], data=form,
                              auth=(CLIENT_ID, "a guess"))
    assert refused.status_code == 401 and provider.issued == []
