"""The token flow end to end: log in, use, refresh, reuse, log out, and every refusal."""

import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from {{ cookiecutter.package_name }}.auth.token import tokens
from {{ cookiecutter.package_name }}.auth.token.models import RefreshToken, User
from {{ cookiecutter.package_name }}.auth.token.tokens import CHECKED
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import utcnow
from serving import serving
from test_cli import start_workers, stop

from auth_token import LOGIN, PASSWORD, AuthActions, bearer

MakeApp = Callable[..., Flask]
ME = "/api/auth/v1/me"
REFRESH = "/api/auth/v1/refresh"
LOGOUT = "/api/auth/v1/logout"


def assert_refused(response: TestResponse, status: int = 401) -> None:
    """A refusal is a problem+json with a Bearer challenge."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    assert response.www_authenticate.type == "bearer"


def assert_live(client: FlaskClient, pair: dict[str, Any]) -> None:
    """The access token is accepted and the refresh token refreshes: the login goes on."""
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    assert client.post(REFRESH, headers=bearer(pair["refresh_token"])).status_code == 200


def test_login_returns_bearer_tokens(auth: AuthActions) -> None:
    """A right password gets an access and a refresh token, not to be cached."""
    auth.create_user()
    response = auth.login()
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert response.headers["Cache-Control"] == "no-store"


def test_me_shows_the_user_and_sorted_scopes(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user(scopes=["resources:write", "resources:read"])
    response = client.get(ME, headers=bearer(auth.tokens()["access_token"]))
    assert response.status_code == 200
    assert response.get_json() == {
        "username": "alice",
        "email": None,
        "email_verified": False,
        "scopes": ["resources:read", "resources:write"],
    }


def test_an_access_token_opens_the_protected_routes(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    headers = bearer(auth.tokens()["access_token"])
    assert client.get("/api/resources/v1", headers=headers).status_code == 200
    assert client.get("/api/greeting/v3", headers=headers).status_code == 200


def test_refresh_rotates_the_refresh_token(client: FlaskClient, auth: AuthActions) -> None:
    """The new tokens work; the refresh token presented is used up."""
    auth.create_user()
    first = auth.tokens()
    response = client.post(REFRESH, headers=bearer(first["refresh_token"]))
    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(second["access_token"])).status_code == 200
    assert client.post(REFRESH, headers=bearer(second["refresh_token"])).status_code == 200


def after_the_grace_window(app: Flask) -> None:
    """Move the rotations just made back past REFRESH_GRACE_SECONDS, as if that time had passed."""
    past = utcnow() - timedelta(seconds=app.config["REFRESH_GRACE_SECONDS"] + 1)
    with app.app_context():
        rotated = RefreshToken.rotated_at.is_not(None)
        db.session.execute(update(RefreshToken).where(rotated).values(rotated_at=past))
        db.session.commit()


def test_reusing_a_rotated_refresh_token_revokes_its_family(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    """A replayed refresh token is refused, and so is every token of that login."""
    auth.create_user()
    first = auth.tokens()
    second = client.post(REFRESH, headers=bearer(first["refresh_token"])).get_json()
    after_the_grace_window(app)

    assert_refused(client.post(REFRESH, headers=bearer(first["refresh_token"])))
    assert_refused(client.post(REFRESH, headers=bearer(second["refresh_token"])))
    assert_refused(client.get(ME, headers=bearer(second["access_token"])))


def test_other_logins_survive_a_revoked_family(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    auth.create_user()
    stolen, other = auth.tokens(), auth.tokens()
    client.post(REFRESH, headers=bearer(stolen["refresh_token"]))
    after_the_grace_window(app)
    assert_refused(client.post(REFRESH, headers=bearer(stolen["refresh_token"])))
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200


def test_a_refresh_repeated_within_the_grace_window_gets_the_same_pair(
    client: FlaskClient, auth: AuthActions
) -> None:
    """Two tabs refreshing one token: both get the same new tokens, and the login goes on."""
    auth.create_user()
    first = auth.tokens()
    second = client.post(REFRESH, headers=bearer(first["refresh_token"])).get_json()
    again = client.post(REFRESH, headers=bearer(first["refresh_token"]))
    assert again.status_code == 200
    assert again.headers["Cache-Control"] == "no-store"
    assert again.get_json() == second
    assert_live(client, second)


def test_without_a_grace_window_a_repeated_refresh_revokes(
    make_app: MakeApp, auth: AuthActions
) -> None:
    """REFRESH_GRACE_SECONDS=0: the second use of a refresh token is a reuse at once."""
    auth.create_user()
    client = make_app(REFRESH_GRACE_SECONDS=0).test_client()
    first = AuthActions(client.application, client).tokens()
    second = client.post(REFRESH, headers=bearer(first["refresh_token"])).get_json()
    assert_refused(client.post(REFRESH, headers=bearer(first["refresh_token"])))
    assert_refused(client.get(ME, headers=bearer(second["access_token"])))


def test_the_grace_window_answers_no_revoked_login(client: FlaskClient, auth: AuthActions) -> None:
    """Logged out within the window: the repeated refresh is refused, not answered."""
    auth.create_user()
    first = auth.tokens()
    second = client.post(REFRESH, headers=bearer(first["refresh_token"])).get_json()
    assert client.post(LOGOUT, headers=bearer(second["access_token"])).status_code == 204
    assert_refused(client.post(REFRESH, headers=bearer(first["refresh_token"])))


def test_two_concurrent_refreshes_get_the_same_pair(
    make_app: MakeApp, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over real HTTP, each on its own connection: the refresh that loses the UPDATE waits for
    the winner's commit, then answers the winner's pair; the user stays logged in. The winner
    dawdles inside its transaction, so the other surely arrives while it is open."""
    auth.create_user()
    issue = tokens.issue_tokens

    def slow_issue(*args: Any, **kwargs: Any) -> tokens.TokenPair:
        time.sleep(0.3)
        return issue(*args, **kwargs)

    monkeypatch.setattr(tokens, "issue_tokens", slow_issue)
    app = make_app()
    refresh_token = AuthActions(app, app.test_client()).tokens()["refresh_token"]
    start = threading.Barrier(2)

    def refresh(base: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(base + REFRESH, b"", bearer(refresh_token))
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status), json.load(response)
        except urllib.error.HTTPError as refused:
            return refused.code, json.load(refused)

    with serving(app) as base, ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(refresh, [base, base]))
    (status, pair), (other_status, other) = answers
    assert (status, other_status) == (200, 200), answers
    assert (pair["access_token"], pair["refresh_token"]) == (
        other["access_token"],
        other["refresh_token"],
    )
    assert_live(app.test_client(), pair)


def test_logout_revokes_the_access_token_and_its_refresh_tokens(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.create_user()
    tokens = auth.tokens()
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200
    response = client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    assert response.status_code == 204
    # This worker checked the token before: it forgets that at once.
    assert_refused(client.get(ME, headers=bearer(tokens["access_token"])))
    assert_refused(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))
    assert_refused(client.get("/api/resources/v1", headers=bearer(tokens["access_token"])))


def revoke_every_login(app: Flask) -> None:
    """Revoke every token in the database only, as another worker's logout does."""
    with app.app_context():
        db.session.execute(update(RefreshToken).values(revoked_at=utcnow()))
        db.session.commit()


@pytest.mark.parametrize("ttl", [30, 0])
def test_another_workers_logout_arrives_within_the_ttl(
    make_app: MakeApp, auth: AuthActions, ttl: int
) -> None:
    """A worker remembers a token it checked for TOKEN_CACHE_TTL_SECONDS; 0 checks every time."""
    headers = auth.headers("alice")
    worker = make_app(TOKEN_CACHE_TTL_SECONDS=ttl)
    client = worker.test_client()
    assert client.get(ME, headers=headers).status_code == 200
    revoke_every_login(worker)
    if ttl:
        assert client.get(ME, headers=headers).status_code == 200, "remembered"
        worker.extensions[CHECKED].clock = lambda: time.time() + ttl + 1
    assert_refused(client.get(ME, headers=headers))


def test_a_refresh_token_is_no_access_token(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    tokens = auth.tokens()
    assert_refused(client.get(ME, headers=bearer(tokens["refresh_token"])))
    assert_refused(client.get("/api/resources/v1", headers=bearer(tokens["refresh_token"])))
    assert_refused(client.post(LOGOUT, headers=bearer(tokens["refresh_token"])))


def test_an_access_token_is_no_refresh_token(client: FlaskClient, auth: AuthActions) -> None:
    auth.create_user()
    assert_refused(client.post(REFRESH, headers=bearer(auth.tokens()["access_token"])))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer a.b.c"},
    ],
    ids=["none", "basic", "empty-bearer", "garbage", "bad-segments"],
)
def test_missing_or_malformed_tokens_are_refused(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    assert_refused(client.get(ME, headers=headers))
    assert_refused(client.post(REFRESH, headers=headers))


def test_an_expired_access_token_is_refused(make_app: MakeApp, auth: AuthActions) -> None:
    auth.create_user()
    app = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-1))
    client = app.test_client()
    tokens = AuthActions(app, client).tokens()
    response = client.get(ME, headers=bearer(tokens["access_token"]))
    assert_refused(response)
    assert response.get_json()["detail"] == "The token has expired."


def test_an_expired_refresh_token_is_refused(make_app: MakeApp, auth: AuthActions) -> None:
    auth.create_user()
    app = make_app(JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=-1))
    client = app.test_client()
    tokens = AuthActions(app, client).tokens()
    assert_refused(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))


@pytest.mark.parametrize(
    ("setting", "reason"),
    [("JWT_ISSUER", "Invalid issuer"), ("JWT_AUDIENCE", "Audience doesn't match")],
)
def test_a_token_for_another_issuer_or_audience_is_refused(
    make_app: MakeApp, client: FlaskClient, auth: AuthActions, setting: str, reason: str
) -> None:
    """Same key, other iss or aud claim: refused."""
    auth.headers("alice")
    other = make_app(**{setting: "someone-else"})
    with other.app_context():
        token = create_access_token("alice", additional_claims={"scope": "resources:read"})
    response = client.get(ME, headers=bearer(token))
    assert_refused(response)
    assert reason in response.get_json()["detail"]


def test_a_token_signed_with_another_key_is_refused(
    make_app: MakeApp, client: FlaskClient, auth: AuthActions
) -> None:
    auth.headers("alice")
    other = make_app(JWT_SECRET_KEY="another-key-of-at-least-thirty-two-bytes")
    with other.app_context():
        token = create_access_token("alice")
    assert_refused(client.get(ME, headers=bearer(token)))


def test_wrong_user_and_wrong_password_get_the_same_answer(auth: AuthActions) -> None:
    """Nothing tells an attacker whether the username exists."""
    auth.create_user()
    wrong_password = auth.login("alice", PASSWORD + "x")
    wrong_user = auth.login("mallory", PASSWORD)
    for response in (wrong_password, wrong_user):
        assert_refused(response)
    assert wrong_password.get_json() == wrong_user.get_json()
    assert wrong_password.headers["WWW-Authenticate"] == wrong_user.headers["WWW-Authenticate"]


def test_a_disabled_user_cannot_log_in_or_use_its_tokens(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    auth.create_user("bob")
    headers = auth.headers("bob")
    auth.create_user("carol", active=False)
    assert auth.login("carol").get_json() == auth.login("mallory").get_json()
    assert_refused(auth.login("carol"))

    assert client.get(ME, headers=headers).status_code == 200

    result = app.test_cli_runner().invoke(args=["users", "disable", "bob"])
    assert result.exit_code == 0, result.output
    assert_refused(client.get(ME, headers=headers))  # this worker had checked it: it forgets
    assert_refused(auth.login("bob"))


def test_a_token_keeps_only_the_scopes_its_user_still_has(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    """Taking a scope from a user takes it from the tokens already issued (in a worker that
    checked one, within TOKEN_CACHE_TTL_SECONDS)."""
    headers = auth.headers("alice", ["resources:read", "resources:write"])
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "alice")).one()
        user.scopes = "resources:read"
        db.session.commit()
    assert client.get(ME, headers=headers).get_json()["scopes"] == ["resources:read"]


def test_logins_are_rate_limited_per_username(make_app: MakeApp, auth: AuthActions) -> None:
    """Past the limit: 429 problem+json with Retry-After, even with the right password and
    from another address.
    """
    auth.create_user()
    client = make_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    for address, password in [
        ("192.0.2.1", "wrong"),
        ("192.0.2.2", "wrong"),
        ("192.0.2.3", PASSWORD),
    ]:
        response = client.post(
            LOGIN,
            json={"username": "alice", "password": password},
            environ_base={"REMOTE_ADDR": address},
        )
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "Too many login attempts; try again later."
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_logins_are_rate_limited_per_address(make_app: MakeApp) -> None:
    """Spraying many usernames from one address is limited too; other addresses are not."""
    client = make_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for name in ("a", "b", "c"):
        assert client.post(LOGIN, json={"username": name, "password": "x"}).status_code == 401
    response = client.post(LOGIN, json={"username": "d", "password": "x"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    elsewhere = client.post(
        LOGIN, json={"username": "e", "password": "x"}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert elsewhere.status_code == 401


def test_with_the_limit_storage_down_logins_are_counted_in_the_worker(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A Redis that refuses connections refuses no login: the worker counts on its own (and
    says so), and the limit still holds."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once it is closed
    client = make_app(
        LOGIN_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0"
    ).test_client()
    attempt = {"username": "mallory", "password": "Guess-number-1"}
    statuses = [client.post(LOGIN, json=attempt).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert "Rate-limit storage unreachable" in caplog.text


def test_the_login_limit_counts_across_workers(
    tmp_path: Path, migrated: str, settings: dict[str, Any], redis_url: str
) -> None:
    """With RATELIMIT_STORAGE_URI on Redis, two granian workers let 4 attempts through in all,
    not 4 each as with memory://."""
    shared = {
        **settings,
        "LOGIN_RATE_LIMIT": "4 per minute",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,  # this run's counts only
    }
    server, base, _sent = start_workers(tmp_path, migrated, shared)
    body = json.dumps({"username": "mallory", "password": "Guess-number-1"}).encode()

    def attempt(_: int) -> int:
        request = urllib.request.Request(base + LOGIN, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as refused:
            return refused.code

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(attempt, range(24)))
    finally:
        errors = stop(server)
    assert sorted(statuses) == [401] * 4 + [429] * 20
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    answered_by = {line["process"] for line in lines if line.get("path") == LOGIN}
    assert len(answered_by) == 2, "both workers answered logins"
