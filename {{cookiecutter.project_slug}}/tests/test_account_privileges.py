"""The privilege matrix of the account routes: the users API and your own account, for every
kind of caller, with the status each gets."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }}.auth.token import accounts
from {{ cookiecutter.package_name }}.auth.token.accounts import ADMIN_SCOPE
from {{ cookiecutter.package_name }}.extensions import db

from auth_token import AuthActions

READ, WRITE = "resources:read", "resources:write"
USERS = "/api/users/v1"
AUTH = "/api/auth/v1"

# Callers: (username, scopes, active), or None for no token at all.
CALLERS: dict[str, tuple[str, tuple[str, ...], bool] | None] = {
    "anonymous": None,
    "reader": ("rita", (READ,), True),
    "writer": ("will", (READ, WRITE), True),
    "admin": ("ada", (ADMIN_SCOPE, READ, WRITE), True),
    "disabled-admin": ("dora", (ADMIN_SCOPE,), False),
}
ADMIN_ONLY = {"anonymous": 401, "reader": 403, "writer": 403, "disabled-admin": 401}
ANY_USER = {"anonymous": 401, "disabled-admin": 401}
WRONG_PASSWORD = "not-the-password"

# (method, path, body) -> expected status for each caller. {id} is the user "target".
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("get", USERS, None, {**ADMIN_ONLY, "admin": 200}),
    (
        "post",
        USERS,
        {"username": "new", "password": "Correct-Horse-7-battery"},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("get", USERS + "/{id}", None, {**ADMIN_ONLY, "admin": 200}),
    ("patch", USERS + "/{id}", {"email": "t@example.org"}, {**ADMIN_ONLY, "admin": 200}),
    ("delete", USERS + "/{id}", None, {**ADMIN_ONLY, "admin": 204}),
    ("get", AUTH + "/me", None, {**ANY_USER, "reader": 200, "writer": 200, "admin": 200}),
    (
        "patch",
        AUTH + "/me",
        {"email": None},
        {**ANY_USER, "reader": 200, "writer": 200, "admin": 200},
    ),
    # A wrong password: each caller that gets this far is refused for it (422), not for who it is.
    (
        "delete",
        AUTH + "/me",
        {"password": WRONG_PASSWORD},
        {**ANY_USER, "reader": 422, "writer": 422, "admin": 422},
    ),
    (
        "post",
        AUTH + "/password",
        {"current_password": WRONG_PASSWORD, "new_password": "Another-Horse-8-staple"},
        {**ANY_USER, "reader": 422, "writer": 422, "admin": 422},
    ),
    ("get", AUTH + "/sessions", None, {**ANY_USER, "reader": 200, "writer": 200, "admin": 200}),
    ("delete", AUTH + "/sessions", None, {**ANY_USER, "reader": 204, "writer": 204, "admin": 204}),
]

CASES = [
    pytest.param(method, path, body, caller, statuses[caller], id=f"{method}-{path}-{caller}")
    for method, path, body, statuses in MATRIX
    for caller in CALLERS
]


def headers_of(app: Flask, auth: AuthActions, caller: str) -> dict[str, str]:
    """The caller's Authorization, its user made (and disabled, for a disabled caller)."""
    who = CALLERS[caller]
    if who is None:
        return {}
    username, scopes, active = who
    headers = auth.headers(username, scopes)
    if not active:
        with app.app_context():
            user = accounts.find_user(username)
            assert user is not None
            user.active = False
            db.session.commit()
    return headers


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
def test_privilege_matrix(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    caller: str,
    expected: int,
) -> None:
    """Each caller gets exactly the status the matrix gives it."""
    owner = auth.headers("owen", (ADMIN_SCOPE,))  # an active admin besides the caller
    target = client.post(
        USERS, json={"username": "target", "password": "Target-Horse-9-x"}, headers=owner
    )
    assert target.status_code == 201, target.get_json()
    url = path.format(id=target.get_json()["id"])
    headers = headers_of(app, auth, caller)
    if method in {"patch", "delete"} and path.startswith(USERS):
        headers["If-Match"] = client.get(url, headers=owner).headers["ETag"]
    request: Callable[..., Any] = getattr(client, method)
    response = request(url, json=body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
    if expected in (401, 403):
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
