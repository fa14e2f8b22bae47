"""auth=oidc: which bearer tokens open the API, whether they are introspected or verified here."""

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import OctKey
from werkzeug.test import TestResponse

from auth_oidc import OIDCAuth

READ, WRITE = "resources:read", "resources:write"
URL = "/api/resources/v1"

MakeApp = Callable[..., Flask]


@pytest.fixture(params=["introspection", "jwt"])
def mode(request: pytest.FixtureRequest, auth: OIDCAuth, auth_settings: dict[str, Any]) -> str:
    """Each test runs with both validations; the provider issues the tokens each expects."""
    auth.token_format = "opaque" if request.param == "introspection" else "jwt"
    return str(request.param)


@pytest.fixture
def api(make_app: MakeApp, app: Flask, mode: str) -> FlaskClient:
    """A client of an app validating tokens the mode's way (app's teardown empties the tables)."""
    return make_app(OIDC_TOKEN_VALIDATION=mode).test_client()


def assert_refused(response: TestResponse, error: str | None = "invalid_token") -> None:
    """A 401 problem with a Bearer challenge naming error (or none, RFC 6750 §3.1)."""
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.lower().startswith("bearer")
    assert (f"error={error}" in challenge) if error else ("error" not in challenge)


def test_a_valid_token_opens_the_api(api: FlaskClient, auth: OIDCAuth) -> None:
    """A token with the route's scope gets 200."""
    response = api.get(URL, headers=auth.headers("alice", (READ,)))
    assert response.status_code == 200, response.get_json()


def test_the_caller_is_the_token_subject(api: FlaskClient, auth: OIDCAuth) -> None:
    """Subject and name come from the token; resources record the subject as owner."""
    assert api.get("/api/greeting/v3", headers=auth.headers("bob", ())).get_json() == {
        "text": "Hello, bob!",
        "subject": "bob",
    }
    created = api.post(URL, json={"name": "n"}, headers=auth.headers("bob", (WRITE,)))
    assert created.get_json()["owner"] == "bob"


def test_a_missing_scope_is_403(api: FlaskClient, auth: OIDCAuth) -> None:
    """A valid token without the route's scope gets insufficient_scope."""
    response = api.post(URL, json={"name": "n"}, headers=auth.headers("alice", (READ,)))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "error=insufficient_scope" in response.headers["WWW-Authenticate"]


def test_no_token_is_401_without_error_code(api: FlaskClient) -> None:
    assert_refused(api.get(URL), error=None)


@pytest.mark.parametrize(
    "header", ["Basic YWxpY2U6eA==", "Bearer", "Bearer  ", "Bearer a b", "Token abc", "Bearer é"]
)
def test_a_malformed_header_is_invalid_request(api: FlaskClient, header: str) -> None:
    assert_refused(api.get(URL, headers={"Authorization": header}), error="invalid_request")


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_an_unknown_token_is_refused(api: FlaskClient, token: str) -> None:
    assert_refused(api.get(URL, headers={"Authorization": f"Bearer {token}"}))


def test_an_expired_token_is_refused(api: FlaskClient, auth: OIDCAuth) -> None:
    """Expired an hour ago: past any clock-skew leeway."""
    assert_refused(api.get(URL, headers=auth.headers(expires_in=-3600)))


@pytest.mark.parametrize("aud", ["another-api", ["another-api"], []])
def test_a_token_for_another_audience_is_refused(
    api: FlaskClient, auth: OIDCAuth, aud: Any
) -> None:
    assert_refused(api.get(URL, headers=auth.headers(claims={"aud": aud})))


def test_an_audience_list_naming_this_api_is_accepted(api: FlaskClient, auth: OIDCAuth) -> None:
    headers = auth.headers(claims={"aud": ["another-api", auth.provider.audience]})
    assert api.get(URL, headers=headers).status_code == 200


def test_a_token_from_another_issuer_is_refused(api: FlaskClient, auth: OIDCAuth) -> None:
    headers = auth.headers(claims={"iss": "https://elsewhere.example"})
    assert_refused(api.get(URL, headers=headers))


def test_a_revoked_token_is_refused_by_introspection(make_app: MakeApp, auth: OIDCAuth) -> None:
    """The provider says inactive; nothing was cached for it yet."""
    token = auth.token()
    auth.provider.revoke(token)
    api = make_app(OIDC_TOKEN_VALIDATION="introspection").test_client()
    assert_refused(api.get(URL, headers={"Authorization": f"Bearer {token}"}))


def test_introspection_accepts_jwt_access_tokens_too(make_app: MakeApp, auth: OIDCAuth) -> None:
    api = make_app(OIDC_TOKEN_VALIDATION="introspection").test_client()
    assert api.get(URL, headers=auth.headers(token_format="jwt")).status_code == 200


def test_jwt_validation_refuses_opaque_tokens(make_app: MakeApp, auth: OIDCAuth) -> None:
    api = make_app(OIDC_TOKEN_VALIDATION="jwt").test_client()
    assert_refused(api.get(URL, headers=auth.headers(token_format="opaque")))
    assert auth.provider.calls["introspection"] == 0


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_and_symmetric_tokens_are_refused(
    make_app: MakeApp, auth: OIDCAuth, alg: str
) -> None:
    """Claims copied from a good token, re-signed with alg=none or an HMAC secret."""
    good = auth.token(token_format="jwt")
    payload = good.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    kid = auth.provider.signing_key.kid
    if alg == "none":
        forged = f"{_segment({'alg': 'none', 'kid': kid})}.{payload}."
    else:
        secret = OctKey.import_key(secrets.token_bytes(32))
        forged = jwt.encode({"alg": "HS256", "kid": kid}, claims, secret)
    api = make_app(OIDC_TOKEN_VALIDATION="jwt").test_client()
    assert api.get(URL, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    response = api.get(URL, headers={"Authorization": f"Bearer {forged}"})
    assert_refused(response)
    assert "not a JWT signed by the provider" in response.get_json()["detail"]  # for its alg


def test_a_tampered_jwt_is_refused(make_app: MakeApp, auth: OIDCAuth) -> None:
    """Widening the scopes breaks the signature."""
    header, payload, signature = auth.token(scopes=(READ,), token_format="jwt").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered = f"{header}.{_segment({**claims, 'scope': f'{READ} {WRITE}'})}.{signature}"
    api = make_app(OIDC_TOKEN_VALIDATION="jwt").test_client()
    assert_refused(api.get(URL, headers={"Authorization": f"Bearer {tampered}"}))


def test_a_machine_token_without_subject_acts_as_its_client(
    api: FlaskClient, auth: OIDCAuth
) -> None:
    """Some providers omit "sub" from client-credentials tokens: the client_id is the caller."""
    auth.provider.machine_subject = False
    client = auth.provider.register("robot", (WRITE,), token_format=auth.token_format)
    headers = {"Authorization": f"Bearer {auth.provider.fetch_token(client)}"}
    created = api.post(URL, json={"name": "n"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["owner"] == client.client_id


def test_provider_roles_are_mapped_to_api_scopes(
    make_app: MakeApp, app: Flask, auth: OIDCAuth, mode: str
) -> None:
    """A Keycloak-shaped token: realm and client roles, renamed by OIDC_SCOPE_MAP.

    (app: its teardown empties the tables.)
    """
    api = make_app(
        OIDC_TOKEN_VALIDATION=mode,
        OIDC_SCOPE_MAP=f"my-api-resource-read={READ},my-api-resource-write={WRITE}",
    ).test_client()
    roles = {
        "scope": "openid profile",
        "realm_access": {"roles": ["my-api-resource-read"]},
        "resource_access": {auth.provider.audience: {"roles": ["my-api-resource-write"]}},
    }
    headers = auth.headers("alice", (), claims=roles)
    me = api.get("/api/auth/v1/me", headers=headers).get_json()
    assert me == {
        "subject": "alice",
        "username": "alice",
        "scopes": ["openid", "profile", READ, WRITE],
    }
    assert api.post(URL, json={"name": "n"}, headers=headers).status_code == 201


def test_a_refusal_to_introspect_a_jwt_is_401(make_app: MakeApp, auth: OIDCAuth) -> None:
    """A provider answering 400 unsupported_token_type: the token cannot be used here, no 503."""
    auth.provider.introspect_jwts = False
    api = make_app(OIDC_TOKEN_VALIDATION="introspection").test_client()
    response = api.get(URL, headers=auth.headers(token_format="jwt"))
    assert_refused(response)
    assert "unsupported_token_type" in response.get_json()["detail"]
    assert api.get(URL, headers=auth.headers(token_format="opaque")).status_code == 200


@pytest.mark.parametrize(("typ", "status"), [("at+jwt", 200), ("JWT", 200), ("logout+jwt", 401)])
def test_jwt_validation_takes_access_tokens_only(
    make_app: MakeApp, auth: OIDCAuth, typ: str, status: int
) -> None:
    """RFC 9068's at+jwt and the JWT most providers send; other JWTs are not access tokens."""
    payload = auth.token(token_format="jwt").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    key = auth.provider.signing_key
    token = jwt.encode({"alg": "RS256", "typ": typ, "kid": key.kid}, claims, key)
    api = make_app(OIDC_TOKEN_VALIDATION="jwt").test_client()
    assert api.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code == status
