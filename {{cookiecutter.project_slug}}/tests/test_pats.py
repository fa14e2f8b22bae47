"""Personal access tokens: made once, used as a bearer token, listed, revoked, refused."""

import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from {{ cookiecutter.package_name }}.auth.token.models import PersonalAccessToken
from {{ cookiecutter.package_name }}.auth.token.pats import PATTERN, PREFIX, digest
from {{ cookiecutter.package_name }}.auth.token.tokens import CHECKED
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import utcnow

from auth_token import AuthActions, bearer

TOKENS = "/api/auth/v1/tokens"
RESOURCES = "/api/resources/v1"
READ, WRITE = "resources:read", "resources:write"
MakeApp = Callable[..., Flask]


def make_pat(
    client: FlaskClient, headers: dict[str, str], scopes: list[str], **body: Any
) -> dict[str, Any]:
    response = client.post(TOKENS, json={"name": "ci", "scopes": scopes, **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    made: dict[str, Any] = response.get_json()
    return made


def set_columns(app: Flask, pat_id: int, **values: Any) -> None:
    """Change a token's row as time or another worker would, and forget what was checked."""
    with app.app_context():
        query = update(PersonalAccessToken).where(PersonalAccessToken.id == pat_id)
        db.session.execute(query.values(**values))
        db.session.commit()
    app.extensions[CHECKED].clear()


def test_a_token_is_shown_once_and_only_its_hash_is_kept(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    response = client.post(
        TOKENS, json={"name": "ci", "scopes": [READ]}, headers=auth.headers("alice")
    )
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    made = response.get_json()
    token = made.pop("token")
    assert PATTERN.fullmatch(token) and token.startswith(PREFIX)
    assert len(token) - len(PREFIX) == 43, "32 random bytes in base64url"
    # The expression the README gives secret scanners finds it, in any surrounding text.
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"`(" + re.escape(PREFIX) + r"[^`]+)`", readme)
    assert documented is not None
    assert re.findall(documented.group(1), f"export KEY='{token}'") == [token]
    assert made["name"] == "ci" and made["scopes"] == [READ] and made["last_used_at"] is None
    with app.app_context():
        row = db.session.scalars(select(PersonalAccessToken)).one()
        assert row.token_hash == digest(token)
        stored = [str(getattr(row, c.key)) for c in PersonalAccessToken.__table__.columns]
        assert not any(token in value for value in stored)
    listed = client.get(TOKENS, headers=auth.headers("alice")).get_json()
    assert listed == [made]


def test_a_token_opens_what_its_scopes_allow_and_no_more(
    client: FlaskClient, auth: AuthActions
) -> None:
    alice = auth.headers("alice", (READ, WRITE))
    reader = bearer(make_pat(client, alice, [READ])["token"])
    assert client.get(RESOURCES, headers=reader).status_code == 200
    assert client.post(RESOURCES, json={"name": "x"}, headers=reader).status_code == 403
    me = client.get("/api/auth/v1/me", headers=reader).get_json()
    assert (me["username"], me["scopes"]) == ("alice", [READ])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["users:admin"]}, "scopes"),
        ({"scopes": [READ], "expires_in_days": 91}, "expires_in_days"),
        ({"scopes": [READ], "expires_in_days": 0}, "expires_in_days"),
        ({"scopes": [READ], "name": ""}, "name"),
    ],
    ids=["scope-not-held", "too-long", "no-lifetime", "no-name"],
)
def test_bad_input_is_refused_naming_the_field(
    client: FlaskClient, auth: AuthActions, body: dict[str, Any], field: str
) -> None:
    response = client.post(TOKENS, json={"name": "ci", **body}, headers=auth.headers("alice"))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert client.get(TOKENS, headers=auth.headers("alice")).get_json() == []


def test_its_last_use_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    alice = auth.headers("alice")  # reads the list: her access token uses no PAT
    made = make_pat(client, alice, [READ])
    headers = bearer(made["token"])

    def last_used() -> Any:
        return client.get(TOKENS, headers=alice).get_json()[0]["last_used_at"]

    assert client.get(RESOURCES, headers=headers).status_code == 200
    assert last_used() is not None
    # Last used 30 s ago: checked again (set_columns empties the cache), read, not written.
    set_columns(app, made["id"], last_used_at=utcnow() - timedelta(seconds=30))
    half_a_minute_ago = last_used()
    assert client.get(RESOURCES, headers=headers).status_code == 200
    assert last_used() == half_a_minute_ago
    # Two minutes ago: written again. (Some databases keep whole seconds: compare with that.)
    set_columns(app, made["id"], last_used_at=utcnow() - timedelta(minutes=2))
    two_minutes_ago = last_used()
    assert client.get(RESOURCES, headers=headers).status_code == 200
    assert last_used() > two_minutes_ago


def test_a_revoked_token_is_refused_here_at_once_and_elsewhere_within_the_ttl(
    make_app: MakeApp, client: FlaskClient, auth: AuthActions
) -> None:
    alice = auth.headers("alice")
    made = make_pat(client, alice, [READ])
    headers = bearer(made["token"])
    other_app = make_app(TOKEN_CACHE_TTL_SECONDS=30)
    other = other_app.test_client()
    assert other.get(RESOURCES, headers=headers).status_code == 200
    assert client.get(RESOURCES, headers=headers).status_code == 200
    assert client.delete(f"{TOKENS}/{made['id']}", headers=alice).status_code == 204
    assert client.get(RESOURCES, headers=headers).status_code == 401
    assert other.get(RESOURCES, headers=headers).status_code == 200, "remembered"
    other_app.extensions[CHECKED].clock = lambda: time.time() + 31
    assert other.get(RESOURCES, headers=headers).status_code == 401
    assert client.delete(f"{TOKENS}/{made['id']}", headers=alice).status_code == 404
    assert client.get(TOKENS, headers=alice).get_json() == []


def test_an_expired_token_is_refused(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    made = make_pat(client, auth.headers("alice"), [READ], expires_in_days=1)
    set_columns(app, made["id"], expires_at=utcnow() - timedelta(seconds=1))
    response = client.get(RESOURCES, headers=bearer(made["token"]))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert made["token"] not in response.get_data(as_text=True)


def test_a_disabled_owner_loses_their_tokens(
    client: FlaskClient, auth: AuthActions, runner: Any
) -> None:
    made = make_pat(client, auth.headers("alice"), [READ])
    headers = bearer(made["token"])
    assert client.get(RESOURCES, headers=headers).status_code == 200
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert client.get(RESOURCES, headers=headers).status_code == 401
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    assert client.get(RESOURCES, headers=headers).status_code == 401, "stays revoked"


def test_a_token_cannot_make_tokens_or_change_the_account(
    client: FlaskClient, auth: AuthActions
) -> None:
    admin = auth.headers("root", ("users:admin", READ))
    plain = bearer(make_pat(client, admin, [READ])["token"])
    admin_pat = bearer(make_pat(client, admin, ["users:admin"])["token"])
    for headers in (plain, admin_pat):
        made = client.post(TOKENS, json={"name": "more", "scopes": []}, headers=headers)
        assert made.status_code == 403
        assert "personal access token" in made.get_json()["detail"]
        change = {"current_password": "x", "new_password": "Another-Horse-8-staple"}
        assert client.post("/api/auth/v1/password", json=change, headers=headers).status_code == 403
        assert (
            client.patch("/api/auth/v1/me", json={"email": None}, headers=headers).status_code
            == 403
        )
    assert client.get("/api/users/v1", headers=plain).status_code == 403
    assert client.get("/api/users/v1", headers=admin_pat).status_code == 200, "its scopes say so"


def test_making_and_revoking_are_security_events_without_the_token(
    client: FlaskClient, auth: AuthActions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="{{ cookiecutter.package_name }}.security")
    alice = auth.headers("alice")
    made = make_pat(client, alice, [READ])
    client.delete(f"{TOKENS}/{made['id']}", headers=alice)
    events = [r.event for r in caplog.records if r.name.endswith(".security")]  # type: ignore[attr-defined]
    assert events == ["pat.created", "pat.revoked"]
    assert made["token"] not in caplog.text and digest(made["token"]) not in caplog.text
