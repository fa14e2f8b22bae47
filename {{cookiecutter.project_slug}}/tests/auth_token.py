"""Fixtures of the token backend: auth (users and tokens for any caller), auth_settings, and a
mail catcher (catcher, mailbox) for the routes that send mail."""

import json
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from mailcatcher import Mailbox, smtp_server
from {{ cookiecutter.package_name }}.auth.token import throttle
from {{ cookiecutter.package_name }}.auth.token.models import User
from {{ cookiecutter.package_name }}.auth.token.passwords import hash_password
from {{ cookiecutter.package_name }}.auth.token.tokens import CHECKED, issue_tokens
from {{ cookiecutter.package_name }}.extensions import db

PASSWORD = "Correct-Horse-7-battery"
ALL_SCOPES = ("resources:read", "resources:write")
LOGIN = "/api/auth/v1/login"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class AuthActions:
    """Make users and tokens directly, or log in through the API."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client

    def create_user(
        self,
        username: str = "alice",
        password: str = PASSWORD,
        scopes: Iterable[str] = ALL_SCOPES,
        active: bool = True,
    ) -> None:
        with self.app.app_context():
            user = User(
                username=username,
                password_hash=hash_password(password),
                scopes=" ".join(sorted(scopes)),
                active=active,
            )
            db.session.add(user)
            db.session.commit()

    def headers(self, subject: str = "alice", scopes: Iterable[str] = ALL_SCOPES) -> dict[str, str]:
        """Authorization of a caller with exactly these scopes; its user is made if missing."""
        scopes = tuple(scopes)
        with self.app.app_context():
            user = db.session.scalar(select(User).where(User.username == subject))
            if user is None:
                user = User(username=subject, password_hash=hash_password(PASSWORD), scopes="")
                db.session.add(user)
            # The user keeps the scopes of earlier tokens, so those stay as they were issued.
            user.scopes = " ".join(sorted(user.scope_set.union(scopes)))
            tokens = issue_tokens(user, scopes=scopes)
            db.session.commit()
        return bearer(tokens.access_token)

    def login(self, username: str = "alice", password: str = PASSWORD) -> TestResponse:
        return self.client.post(LOGIN, json={"username": username, "password": password})

    def tokens(self, username: str = "alice", password: str = PASSWORD) -> dict[str, Any]:
        """Log in and return the access and refresh tokens."""
        response = self.login(username, password)
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


# Cheap password hashing: argon2's cost is what makes logins slow, and it is not under test.
# Rate limits are counted in memory, afresh for each test (reset_auth), and high enough that only
# the tests of rate limiting (which set their own) reach them.
SETTINGS = {
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 64,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "PASSWORD_RESET_RATE_LIMIT": "1000 per minute",
    "SIGN_UP_RATE_LIMIT": "1000 per minute",
}


@pytest.fixture
def auth_settings() -> dict[str, Any]:
    return dict(SETTINGS)


class ServedTokens:
    """A served app of the token backend: alice may read and write; the client logs in as her."""

    def settings(self) -> dict[str, Any]:
        return dict(SETTINGS)

    def prepare(self, app: Flask) -> None:
        AuthActions(app, app.test_client()).create_user()

    def login(self, client: Any) -> None:
        result = client("login", "--username", "alice", "--password-stdin", input=PASSWORD + "\n")
        assert result.exit_code == 0, result.stderr

    def over_http(self, url: str) -> tuple[dict[str, str], tuple[str, ...]]:
        """Headers of alice, logged in over HTTP to the app served at url, and the secrets that
        took (her password, her tokens), which no log line or span may hold."""
        request = urllib.request.Request(
            url + LOGIN,
            data=json.dumps({"username": "alice", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            tokens = json.load(response)
        return bearer(tokens["access_token"]), (
            PASSWORD,
            tokens["access_token"],
            tokens["refresh_token"],
        )


@pytest.fixture(scope="session")
def served_auth() -> ServedTokens:
    return ServedTokens()


@pytest.fixture(scope="session")
def reset_auth() -> Callable[[Flask], None]:
    """What a shared app forgets after each test: the login attempts it counted and the access
    tokens it checked."""

    def reset(app: Flask) -> None:
        app.extensions[throttle.EXTENSION].reset()
        app.extensions[CHECKED].clear()

    return reset


@pytest.fixture
def auth(app: Flask, client: FlaskClient) -> AuthActions:
    return AuthActions(app, client)


@pytest.fixture(scope="module")
def catcher() -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server for a test module: its MAIL_URL, and what it receives."""
    with smtp_server() as served:
        yield served


@pytest.fixture
def mailbox(catcher: tuple[str, Mailbox]) -> Iterator[Mailbox]:
    """The catcher's messages, none yet; it answers 250 again afterwards."""
    box = catcher[1]
    box.messages.clear()
    yield box
    box.reply = "250 OK"
    box.deferring = 0
