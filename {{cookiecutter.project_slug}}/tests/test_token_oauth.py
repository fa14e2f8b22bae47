"""/api/auth/v1/token: OAuth 2's password grant, the way /docs (and OAuth 2 clients) log in."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from auth_token import LOGIN, PASSWORD, AuthActions, bearer

MakeApp = Callable[..., Flask]
TOKEN = "/api/auth/v1/token"
ME = "/api/auth/v1/me"


def grant(client: FlaskClient, **fields: str) -> Any:
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD, **fields}
    return client.post(TOKEN, data=form)


def test_a_password_grant_gets_an_access_token_only(client: FlaskClient, auth: AuthActions) -> None:
    """RFC 6749's answer, not cached, with no refresh token for the page to keep."""
    auth.create_user()
    response = grant(client)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"].lower() == "bearer"
    assert body["scope"] == "resources:read resources:write"
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.get_json()["username"] == "alice"


def test_what_swagger_ui_adds_is_ignored(client: FlaskClient, auth: AuthActions) -> None:
    """An empty scope, client id and secret in the body, and Basic client credentials."""
    auth.create_user()
    response = client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORD,
            "scope": "",
            "client_id": "",
            "client_secret": "",
        },
        headers={"Authorization": "Basic Og=="},
    )
    assert response.status_code == 200, response.get_json()


def test_a_scope_narrows_the_token_to_what_the_user_has(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.create_user(scopes=("resources:read",))
    body = grant(client, scope="resources:read resources:write").get_json()
    assert body["scope"] == "resources:read"
    assert client.get(ME, headers=bearer(body["access_token"])).get_json()["scopes"] == [
        "resources:read"
    ]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"password": "wrong"}, 401),
        ({"username": "nobody"}, 401),
        ({"grant_type": "client_credentials"}, 422),
        ({"password": ""}, 422),
    ],
    ids=["wrong-password", "unknown-user", "other-grant", "empty-password"],
)
def test_refusals_are_problems(
    client: FlaskClient, auth: AuthActions, fields: dict[str, str], status: int
) -> None:
    auth.create_user()
    response = grant(client, **fields)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_logins_count_against_one_limit_across_login_and_token(
    make_app: MakeApp, auth: AuthActions
) -> None:
    """Two guesses at /login and one at /token spend the same allowance of two."""
    auth.create_user()
    client = make_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    response = grant(client)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert "Retry-After" in response.headers


def test_the_spec_declares_the_password_flow_at_this_route(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert (schemes["personalAccessToken"]["type"], schemes["personalAccessToken"]["scheme"]) == (
        "http",
        "bearer",
    )
    scheme = schemes["bearerAuth"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == TOKEN
    body = spec["paths"][TOKEN]["post"]["requestBody"]["content"]
    assert list(body) == ["application/x-www-form-urlencoded"]
