"""The privilege matrix of the account routes: the users API, invitations, your own account,
your personal access tokens and the routes that mail codes, for every kind of caller, with the
status each gets (mail on, to a real SMTP server, and REGISTRATION=invite)."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mailcatcher import Mailbox, drained
from {{ cookiecutter.package_name }}.auth.token import accounts
from {{ cookiecutter.package_name }}.auth.token.accounts import ADMIN_SCOPE
from {{ cookiecutter.package_name }}.extensions import db

from auth_token import AuthActions, bearer

READ, WRITE = "resources:read", "resources:write"
USERS = "/api/users/v1"
AUTH = "/api/auth/v1"

# Callers: (username, the user's scopes, kind), or None for no token at all. A caller of kind
# "pat" or "revoked-pat" sends a personal access token of its user's with PAT_SCOPES.
ALL = (ADMIN_SCOPE, READ, WRITE)
CALLERS: dict[str, tuple[str, tuple[str, ...], str] | None] = {
    "anonymous": None,
    "reader": ("rita", (READ,), "login"),
    "writer": ("will", (READ, WRITE), "login"),
    "admin": ("ada", ALL, "login"),
    "disabled-admin": ("dora", ALL, "disabled"),
    "admin-pat-reading": ("pam", ALL, "pat"),
    "revoked-admin-pat": ("rex", ALL, "revoked-pat"),
}
PAT_SCOPES = {"admin-pat-reading": (READ,), "revoked-admin-pat": ALL}
REFUSED = {"anonymous": 401, "disabled-admin": 401, "revoked-admin-pat": 401}
ADMIN_ONLY = {**REFUSED, "reader": 403, "writer": 403, "admin-pat-reading": 403}
# Any valid token; a personal access token only reads here.
ANY_TOKEN = {**REFUSED, "reader": 200, "writer": 200, "admin": 200, "admin-pat-reading": 200}
# A route that takes no token: whatever the caller sends, the same status.
NO_TOKEN = dict.fromkeys(CALLERS, 202)


def logins(status: int) -> dict[str, int]:
    """A route for logged-in users: each gets status; a personal access token, 403."""
    return {
        **REFUSED,
        "reader": status,
        "writer": status,
        "admin": status,
        "admin-pat-reading": 403,
    }


WRONG_PASSWORD = "not-the-password"

# (method, path, body) -> expected status for each caller. {id} is the user "target", {pat}
# a personal access token of another user's (nobody else's to revoke).
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
    ("get", AUTH + "/me", None, ANY_TOKEN),
    ("patch", AUTH + "/me", {"email": None}, logins(200)),
    # A wrong password: each caller that gets this far is refused for it (422), not for who it is.
    ("delete", AUTH + "/me", {"password": WRONG_PASSWORD}, logins(422)),
    (
        "post",
        AUTH + "/password",
        {"current_password": WRONG_PASSWORD, "new_password": "Another-Horse-8-staple"},
        logins(422),
    ),
    ("get", AUTH + "/sessions", None, ANY_TOKEN),
    ("delete", AUTH + "/sessions", None, logins(204)),
    ("get", AUTH + "/tokens", None, ANY_TOKEN),
    ("post", AUTH + "/tokens", {"name": "ci", "scopes": []}, logins(201)),
    (
        "delete",
        AUTH + "/tokens/{pat}",
        None,
        {**REFUSED, "reader": 404, "writer": 404, "admin": 404, "admin-pat-reading": 404},
    ),
    ("get", USERS + "/invitations", None, {**ADMIN_ONLY, "admin": 200}),
    ("post", USERS + "/invitations", {"email": "new@example.org"}, {**ADMIN_ONLY, "admin": 202}),
    ("delete", USERS + "/invitations/1", None, {**ADMIN_ONLY, "admin": 404}),
    ("post", AUTH + "/password-reset", {"login": "target"}, NO_TOKEN),
    ("post", AUTH + "/email/verification", None, logins(202)),
    (
        "post",
        AUTH + "/invitations/accept",
        {"code": "not-mailed", "username": "new", "password": "Correct-Horse-7-battery"},
        dict.fromkeys(CALLERS, 422),
    ),
]


@pytest.fixture
def settings(auth_settings: dict[str, Any], catcher: tuple[str, Mailbox]) -> dict[str, Any]:
    sender = "API <no-reply@example.org>"
    return {**auth_settings, "MAIL_URL": catcher[0], "MAIL_FROM": sender, "REGISTRATION": "invite"}


CASES = [
    pytest.param(method, path, body, caller, statuses[caller], id=f"{method}-{path}-{caller}")
    for method, path, body, statuses in MATRIX
    for caller in CALLERS
]


def headers_of(app: Flask, auth: AuthActions, caller: str) -> dict[str, str]:
    """The caller's Authorization, its user made (and disabled, or its token revoked)."""
    who = CALLERS[caller]
    if who is None:
        return {}
    username, scopes, kind = who
    headers = auth.headers(username, scopes)
    with app.app_context():
        user = accounts.find_user(username)
        assert user is not None
        if kind == "disabled":
            user.active = False
            db.session.commit()
        if kind in {"pat", "revoked-pat"}:
            pat, token = accounts.issue_pat(user, "matrix", PAT_SCOPES[caller], 1)
            if kind == "revoked-pat":
                accounts.revoke_pat(user, pat.id)
            headers = bearer(token)
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
    with app.app_context():
        owen = accounts.find_user("owen")
        assert owen is not None
        pat_id = accounts.issue_pat(owen, "owen's", (), 1)[0].id
    url = path.format(id=target.get_json()["id"], pat=pat_id)
    headers = headers_of(app, auth, caller)
    if method in {"patch", "delete"} and path.startswith(USERS + "/{id}"):
        headers["If-Match"] = client.get(url, headers=owner).headers["ETag"]
    request: Callable[..., Any] = getattr(client, method)
    response = request(url, json=body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
    if expected == 401 or (expected == 403 and "scope" in response.get_json()["detail"]):
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    drained(app)  # what it mailed is sent before the next test empties the tables
