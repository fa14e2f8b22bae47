"""The users API: an admin (scope users:admin) manages users over HTTP, as `flask users` does."""

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from {{ cookiecutter.package_name }}.auth.token.tokens import CHECKED

from auth_token import PASSWORD, AuthActions, bearer

URL = "/api/users/v1"
ADMIN = ("users:admin", "resources:read", "resources:write")
READ = "resources:read"


@pytest.fixture
def admin(auth: AuthActions) -> dict[str, str]:
    """Headers of root, an admin who also holds the resources scopes."""
    return auth.headers("root", ADMIN)


def create(client: FlaskClient, admin: dict[str, str], **body: Any) -> TestResponse:
    return client.post(URL, json={"password": PASSWORD, **body}, headers=admin)


def field_error(response: TestResponse, status: int, field: str) -> str:
    """The problem's message for field; asserts the status and the problem shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    message: str = response.get_json()["errors"]["json"][field][0]
    return message


def patch(client: FlaskClient, admin: dict[str, str], user_id: int, **body: Any) -> TestResponse:
    """PATCH with the ETag of a GET just before, as a careful client does."""
    etag = client.get(f"{URL}/{user_id}", headers=admin).headers["ETag"]
    return client.patch(f"{URL}/{user_id}", json=body, headers={**admin, "If-Match": etag})


def test_an_admin_creates_a_user_who_logs_in_and_the_cli_sees(
    client: FlaskClient, admin: dict[str, str], auth: AuthActions, runner: FlaskCliRunner
) -> None:
    response = create(client, admin, username="dana", email="Dana@Example.org", scopes=[READ])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert {k: v for k, v in body.items() if k not in {"id", "created_at"}} == {
        "username": "dana",
        "email": "Dana@Example.org",
        "email_verified": False,
        "scopes": [READ],
        "active": True,
    }
    assert "password" not in body and "password_hash" not in body
    assert auth.login("dana").status_code == 200
    listed = runner.invoke(args=["users", "list"]).output
    assert "dana\tactive\tresources:read\tDana@Example.org" in listed


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "no spaces"}, 422, "username"),
        ({"username": "dana", "password": "short"}, 422, "password"),
        ({"username": "dana", "email": "not-an-address"}, 422, "email"),
        ({"username": "dana", "scopes": ["jobs:admin"]}, 422, "scopes"),
        ({"username": "root"}, 409, "username"),
        ({"username": "dana", "email": "ROOT@example.org"}, 409, "email"),
    ],
    ids=["bad-name", "weak-password", "bad-email", "scope-not-held", "taken-name", "taken-email"],
)
def test_bad_input_is_refused_naming_the_field(
    client: FlaskClient, admin: dict[str, str], body: dict[str, Any], status: int, field: str
) -> None:
    assert create(client, admin, username="taken", email="root@example.org").status_code == 201
    message = field_error(create(client, admin, **body), status, field)
    assert "Traceback" not in message
    assert (
        client.get(URL, query_string={"username_prefix": "dana"}, headers=admin).get_json()["items"]
        == []
    )


def test_the_list_pages_by_cursor_and_filters(client: FlaskClient, admin: dict[str, str]) -> None:
    for name in ("ann", "amy", "bob", "a_z"):
        assert create(client, admin, username=name).status_code == 201
    disabled = client.get(URL, query_string={"username_prefix": "bob"}, headers=admin)
    bob = disabled.get_json()["items"][0]
    assert patch(client, admin, bob["id"], active=False).status_code == 200

    names, query = [], {"page_size": 2}
    while True:
        page = client.get(URL, query_string=query, headers=admin)
        assert page.status_code == 200
        names += [user["username"] for user in page.get_json()["items"]]
        if not (cursor := page.get_json()["next"]):
            break
        assert 'rel="next"' in page.headers["Link"]
        query = {"page_size": 2, "cursor": cursor}
    assert names == ["a_z", "amy", "ann", "bob", "root"]

    def usernames(**query: Any) -> list[str]:
        page = client.get(URL, query_string=query, headers=admin).get_json()
        return [user["username"] for user in page["items"]]

    assert usernames(active="false") == ["bob"]
    assert usernames(username_prefix="a", active="true") == ["a_z", "amy", "ann"]
    # A prefix is literal: _ and % are no wildcards.
    assert usernames(username_prefix="a_") == ["a_z"]
    assert usernames(username_prefix="%") == []


def test_a_change_needs_the_current_etag(client: FlaskClient, admin: dict[str, str]) -> None:
    user = create(client, admin, username="dana").get_json()
    item = f"{URL}/{user['id']}"
    assert client.patch(item, json={"email": "d@example.org"}, headers=admin).status_code == 428
    etag = client.get(item, headers=admin).headers["ETag"]
    changed = client.patch(
        item, json={"email": "d@example.org", "scopes": [READ]}, headers={**admin, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["email"], changed.get_json()["scopes"]) == ("d@example.org", [READ])
    stale = client.patch(item, json={"email": None}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(item, headers=admin).get_json()["email"] == "d@example.org"


def test_disabling_ends_every_session_and_token(
    client: FlaskClient, admin: dict[str, str], auth: AuthActions, app: Flask
) -> None:
    """The refresh token at once; the access token too in this worker (others: within
    TOKEN_CACHE_TTL_SECONDS, test_token_flow.py)."""
    user = create(client, admin, username="dana", scopes=[READ]).get_json()
    tokens = auth.tokens("dana")
    access = bearer(tokens["access_token"])
    assert client.get("/api/resources/v1", headers=access).status_code == 200
    assert len(app.extensions[CHECKED]) > 0
    assert patch(client, admin, user["id"], active=False).status_code == 200
    assert client.get("/api/resources/v1", headers=access).status_code == 401
    refresh = client.post("/api/auth/v1/refresh", headers=bearer(tokens["refresh_token"]))
    assert refresh.status_code == 401
    assert auth.login("dana").status_code == 401
    assert patch(client, admin, user["id"], active=True).status_code == 200
    assert auth.login("dana").status_code == 200, "enabled again"
    assert client.get("/api/resources/v1", headers=access).status_code == 401, "stays revoked"


def test_the_last_active_admin_stays(
    client: FlaskClient, admin: dict[str, str], auth: AuthActions
) -> None:
    root = client.get(URL, query_string={"username_prefix": "root"}, headers=admin)
    root_id = root.get_json()["items"][0]["id"]
    assert "root is the last active user" in field_error(
        patch(client, admin, root_id, active=False), 409, "active"
    )
    field_error(patch(client, admin, root_id, scopes=[READ]), 409, "scopes")
    etag = client.get(f"{URL}/{root_id}", headers=admin).headers["ETag"]
    deleted = client.delete(f"{URL}/{root_id}", headers={**admin, "If-Match": etag})
    field_error(deleted, 409, "username")
    # With a second admin, the first may step down.
    second = create(client, admin, username="dana", scopes=["users:admin"]).get_json()
    assert patch(client, admin, root_id, scopes=[READ]).status_code == 200
    assert client.get(URL, headers=admin).status_code == 403, "root's token lost the scope"
    dana = auth.headers("dana", ["users:admin"])
    assert client.get(f"{URL}/{second['id']}", headers=dana).status_code == 200


def test_deleting_a_user_ends_their_tokens(
    client: FlaskClient, admin: dict[str, str], auth: AuthActions
) -> None:
    user = create(client, admin, username="dana", scopes=[READ]).get_json()
    access = bearer(auth.tokens("dana")["access_token"])
    item = f"{URL}/{user['id']}"
    assert client.delete(item, headers=admin).status_code == 428
    etag = client.get(item, headers=admin).headers["ETag"]
    assert client.delete(item, headers={**admin, "If-Match": etag}).status_code == 204
    assert client.get(item, headers=admin).status_code == 404
    assert client.get("/api/resources/v1", headers=access).status_code == 401
    assert auth.login("dana").status_code == 401


def test_changes_are_security_events_with_ids_only(
    client: FlaskClient, admin: dict[str, str], auth: AuthActions, caplog: pytest.LogCaptureFixture
) -> None:
    """Each change logs its event, the admin as actor and the user changed; no secret."""
    caplog.set_level(logging.INFO, logger="{{ cookiecutter.package_name }}.security")
    root_id = client.get(URL, query_string={"username_prefix": "root"}, headers=admin).get_json()[
        "items"
    ][0]["id"]
    user = create(client, admin, username="dana", email="dana@example.org").get_json()
    patch(client, admin, user["id"], active=False)
    patch(client, admin, user["id"], scopes=[READ])
    auth.login("dana", "wrong-password")
    events = [
        (r.event, r.user_id, r.actor_id)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name.endswith(".security")
    ]
    assert events == [
        ("user.created", user["id"], root_id),
        ("user.disabled", user["id"], root_id),
        ("user.changed", user["id"], root_id),
        ("login.failed", user["id"], None),
    ]
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert PASSWORD not in logged and "wrong-password" not in logged
    assert "dana@example.org" not in logged
