"""Your own account: your address, your password, your sessions, and leaving."""

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from auth_token import LOGIN, PASSWORD, AuthActions, bearer

ME = "/api/auth/v1/me"
PASSWORD_URL = "/api/auth/v1/password"
SESSIONS = "/api/auth/v1/sessions"
REFRESH = "/api/auth/v1/refresh"
NEW_PASSWORD = "Another-Horse-8-staple"


def log_in(client: FlaskClient, agent: str, username: str = "alice") -> dict[str, Any]:
    """Log in from a browser of this User-Agent; the tokens, and the agent."""
    response = client.post(
        LOGIN,
        json={"username": username, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.get_json()
    tokens: dict[str, Any] = response.get_json()
    return tokens | {"agent": agent}


def refreshes(client: FlaskClient, tokens: dict[str, Any]) -> bool:
    """Whether the login goes on: its refresh token, sent from the same browser, gets the next
    pair (kept in tokens)."""
    headers = {**bearer(tokens["refresh_token"]), "User-Agent": tokens["agent"]}
    response = client.post(REFRESH, headers=headers)
    if response.status_code == 200:
        tokens.update(response.get_json())
    return response.status_code == 200


def field_error(response: TestResponse, status: int, field: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]["json"]


def test_me_shows_and_changes_the_address(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    auth.create_user("bob")
    headers = bearer(auth.tokens()["access_token"])
    assert client.get(ME, headers=headers).get_json()["email"] is None
    changed = client.patch(ME, json={"email": "Alice@Example.org"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert client.get(ME, headers=headers).get_json()["email"] == "Alice@Example.org"
    field_error(client.patch(ME, json={"email": "nope"}, headers=headers), 422, "email")
    bob = bearer(auth.tokens("bob")["access_token"])
    field_error(client.patch(ME, json={"email": "alice@example.ORG"}, headers=bob), 409, "email")
    assert client.patch(ME, json={"email": None}, headers=headers).get_json()["email"] is None


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    client: FlaskClient, auth: AuthActions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="{{ cookiecutter.package_name }}.security")
    auth.create_user()
    laptop, phone = log_in(client, "laptop"), log_in(client, "phone")
    headers = bearer(laptop["access_token"])
    wrong = {"current_password": "not-it", "new_password": NEW_PASSWORD}
    field_error(client.post(PASSWORD_URL, json=wrong, headers=headers), 422, "current_password")
    weak = {"current_password": PASSWORD, "new_password": "short"}
    field_error(client.post(PASSWORD_URL, json=weak, headers=headers), 422, "new_password")
    assert refreshes(client, phone), "refusals change nothing"

    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post(PASSWORD_URL, json=change, headers=headers).status_code == 204
    assert not refreshes(client, phone)
    assert client.get(ME, headers=bearer(phone["access_token"])).status_code == 401
    assert refreshes(client, laptop), "the caller's session goes on"
    assert auth.login().status_code == 401
    assert auth.login(password=NEW_PASSWORD).status_code == 200
    events = [r.event for r in caplog.records if r.name.endswith(".security")]  # type: ignore[attr-defined]
    assert "password.changed" in events
    assert NEW_PASSWORD not in caplog.text and PASSWORD not in caplog.text


def test_sessions_are_listed_and_ended_one_or_all(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    laptop, phone, tablet = (log_in(client, agent) for agent in ("laptop", "phone", "tablet"))
    assert refreshes(client, phone)
    headers = bearer(laptop["access_token"])
    sessions = client.get(SESSIONS, headers=headers).get_json()
    assert [(s["user_agent"], s["current"]) for s in sessions] == [
        ("phone", False),  # refreshed last: most recently used
        ("tablet", False),
        ("laptop", True),
    ]
    assert all(s["created_at"] <= s["last_used_at"] for s in sessions)

    ended = client.delete(f"{SESSIONS}/{sessions[1]['id']}", headers=headers)
    assert ended.status_code == 204
    assert not refreshes(client, tablet)
    assert client.delete(f"{SESSIONS}/{sessions[1]['id']}", headers=headers).status_code == 404
    assert refreshes(client, phone)

    assert client.delete(SESSIONS, headers=headers).status_code == 204
    assert not refreshes(client, phone)
    left = client.get(SESSIONS, headers=bearer(laptop["access_token"])).get_json()
    assert [s["user_agent"] for s in left] == ["laptop"]


def test_another_users_session_is_not_yours(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    auth.create_user("bob")
    bob = log_in(client, "bob's phone", "bob")
    bob_sessions = client.get(SESSIONS, headers=bearer(bob["access_token"])).get_json()
    alice = bearer(auth.tokens()["access_token"])
    assert client.delete(f"{SESSIONS}/{bob_sessions[0]['id']}", headers=alice).status_code == 404
    assert refreshes(client, bob)


def test_you_delete_your_account_with_your_password(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    auth.create_user()
    headers = bearer(auth.tokens()["access_token"])
    field_error(client.delete(ME, json={"password": "not-it"}, headers=headers), 422, "password")
    assert client.delete(ME, json={"password": PASSWORD}, headers=headers).status_code == 204
    assert auth.login().status_code == 401
    assert client.get(ME, headers=headers).status_code == 401


def test_the_last_admin_cannot_leave(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user(scopes=("users:admin",))
    headers = bearer(auth.tokens()["access_token"])
    field_error(client.delete(ME, json={"password": PASSWORD}, headers=headers), 409, "username")
    assert auth.login().status_code == 200
