"""A forgotten password reset by mail, and an address verified, against a real SMTP server."""

import json
import logging
import urllib.request
{%- if cookiecutter.tasks == "celery" %}
import uuid
{%- endif %}
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from mailcatcher import Mailbox, drained, free_port
from {{ cookiecutter.package_name }}.auth.token import accounts
from {{ cookiecutter.package_name }}.auth.token.models import AccountCode, User
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import utcnow
from test_cli import start_workers, stop
{%- if cookiecutter.tasks == "celery" %}
from test_worker import worker
{%- endif %}

from auth_token import PASSWORD, AuthActions, bearer

RESET = "/api/auth/v1/password-reset"
CONFIRM = RESET + "/confirm"
VERIFY = "/api/auth/v1/email/verify"
NEW_PASSWORD = "Another-Horse-8-staple"
SENDER = "Test API <no-reply@example.org>"
MakeApp = Callable[..., Flask]


@pytest.fixture
def settings(auth_settings: dict[str, Any], catcher: tuple[str, Mailbox]) -> dict[str, Any]:
    return {**auth_settings, "MAIL_URL": catcher[0], "MAIL_FROM": SENDER}


def user_with_address(
    app: Flask, auth: AuthActions, username: str, verified: bool = True, active: bool = True
) -> None:
    """A user whose address is username@example.org, verified or not, as if by mail."""
    auth.create_user(username, active=active)
    with app.app_context():
        query = update(User).where(User.username == username)
        email = f"{username}@example.org"
        db.session.execute(query.values(email=email, email_key=email, email_verified=verified))
        db.session.commit()


def ask_reset(client: FlaskClient, login: str) -> Any:
    return client.post(RESET, json={"login": login})


def test_a_forgotten_password_is_reset_by_mail(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    user_with_address(app, auth, "dana")
    session = auth.tokens("dana")
    with app.app_context():
        dana = accounts.find_user("dana")
        assert dana is not None
        pat = accounts.issue_pat(dana, "cron", (), 1)[1]
    asked = ask_reset(client, "DANA@example.org")
    assert asked.status_code == 202
    [message] = mailbox.wait_for(1)
    assert message["To"] == "dana@example.org"
    code = mailbox.code(message)
    done = client.post(CONFIRM, json={"code": code, "new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.get_json()
    refresh = client.post("/api/auth/v1/refresh", headers=bearer(session["refresh_token"]))
    assert refresh.status_code == 401, "every session ends"
    assert client.get("/api/auth/v1/me", headers=bearer(pat)).status_code == 401, "and every PAT"
    assert auth.login("dana", PASSWORD).status_code == 401
    assert auth.login("dana", NEW_PASSWORD).status_code == 200
    again = client.post(CONFIRM, json={"code": code, "new_password": PASSWORD})
    assert again.status_code == 422 and "code" in again.get_json()["errors"]["json"]


def test_every_account_gets_the_same_answer_and_only_one_gets_mail(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    """An account with a verified address, none at all, a disabled one, one whose address is
    not verified: the same status, body and headers; one message, to the first."""
    user_with_address(app, auth, "dana")
    user_with_address(app, auth, "dora", active=False)
    user_with_address(app, auth, "una", verified=False)
    answers = []
    for login in ("dana", "nobody@example.org", "dora", "una@example.org"):
        response = ask_reset(client, login)
        headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
        answers.append((response.status_code, response.get_data(), headers))
    assert answers[0][0] == 202
    assert all(answer == answers[0] for answer in answers), answers
    drained(app)
    assert [message["To"] for message in mailbox.wait_for(1)] == ["dana@example.org"]
    assert len(mailbox.messages) == 1


def test_a_used_expired_or_replaced_code_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    user_with_address(app, auth, "dana")
    ask_reset(client, "dana")
    ask_reset(client, "dana")
    first, second = (mailbox.code(message) for message in mailbox.wait_for(2))
    refused = client.post(CONFIRM, json={"code": first, "new_password": NEW_PASSWORD})
    assert refused.status_code == 422, "replaced by the newer code"
    with app.app_context():
        db.session.execute(update(AccountCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = client.post(CONFIRM, json={"code": second, "new_password": NEW_PASSWORD})
    assert expired.status_code == 422
    assert auth.login("dana").status_code == 200, "the password stays"


def test_a_password_change_voids_a_reset_code(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    user_with_address(app, auth, "dana")
    ask_reset(client, "dana")
    code = mailbox.code(mailbox.wait_for(1)[0])
    headers = bearer(auth.tokens("dana")["access_token"])
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/api/auth/v1/password", json=change, headers=headers).status_code == 204
    void = client.post(CONFIRM, json={"code": code, "new_password": PASSWORD})
    assert void.status_code == 422


def test_a_new_address_is_verified_by_a_mailed_code(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    auth.create_user("dana")
    headers = bearer(auth.tokens("dana")["access_token"])
    changed = client.patch("/api/auth/v1/me", json={"email": "dana@example.org"}, headers=headers)
    assert changed.get_json()["email_verified"] is False
    [message] = mailbox.wait_for(1)
    ask_reset(client, "dana")
    drained(app)
    assert len(mailbox.messages) == 1, "no reset to an address not verified"
    code = mailbox.code(message)
    assert client.post(VERIFY, json={"code": code}).status_code == 204
    assert client.get("/api/auth/v1/me", headers=headers).get_json()["email_verified"] is True
    assert client.post(VERIFY, json={"code": code}).status_code == 422, "single use"
    ask_reset(client, "dana")
    assert mailbox.wait_for(2)[1]["Subject"] == "Reset your password"


def test_an_address_set_before_gets_a_code_when_asked(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    user_with_address(app, auth, "dana", verified=False)
    headers = bearer(auth.tokens("dana")["access_token"])
    asked = client.post("/api/auth/v1/email/verification", headers=headers)
    assert asked.status_code == 202
    code = mailbox.code(mailbox.wait_for(1)[0])
    assert client.post(VERIFY, json={"code": code}).status_code == 204
    assert client.get("/api/auth/v1/me", headers=headers).get_json()["email_verified"] is True


def test_without_mail_a_reset_cannot_be_asked_for(make_app: MakeApp) -> None:
    client = make_app(MAIL_URL="", MAIL_FROM="").test_client()
    response = ask_reset(client, "dana")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_with_the_mail_server_down_the_answer_is_the_same_and_no_secret_is_logged(
    make_app: MakeApp, auth: AuthActions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    down = make_app(MAIL_URL=f"smtp://127.0.0.1:{free_port()}?tls=none", MAIL_FROM=SENDER)
    user_with_address(down, auth, "dana")
    response = ask_reset(down.test_client(), "dana")
    assert response.status_code == 202
    drained(down)
    with down.app_context():
        codes = db.session.scalars(db.select(AccountCode.code_hash)).all()
    assert len(codes) == 1, "a code was made; only its sending failed"
{%- if cookiecutter.tasks == "none" %}
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failure.request_id == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    assert "TemporaryFailure" in caplog.text
{%- endif %}
    assert codes[0] not in caplog.text and PASSWORD not in caplog.text


{%- if cookiecutter.tasks == "celery" %}


@pytest.fixture
def queue(settings: dict[str, Any], redis_url: str) -> dict[str, Any]:
    """Settings of an API and a worker sharing a queue of their own on the test Redis."""
    own = f"test-{uuid.uuid4().hex}"
    return {**settings, "TASKS_EAGER": False, "REDIS_URL": redis_url, "TASKS_QUEUE": own}


def test_over_http_through_the_server_command_and_a_worker(
    tmp_path: Path,
    migrated: str,
    queue: dict[str, Any],
    app: Flask,
    auth: AuthActions,
    mailbox: Mailbox,
) -> None:
    """Two granian workers and a Celery worker: the reset asked for and confirmed over HTTP,
    the mail sent by the worker, which tries again when the server defers it (451)."""
    user_with_address(app, auth, "dana")
    mailbox.deferring = 1
    (tmp_path / "api").mkdir()
    with worker(tmp_path, migrated, queue):
        server, base, _sent = start_workers(tmp_path / "api", migrated, queue)
        try:
            post(base + RESET, {"login": "dana"})
            code = mailbox.code(mailbox.wait_for(1, timeout=30)[0])
            post(base + CONFIRM, {"code": code, "new_password": NEW_PASSWORD})
            body = {"username": "dana", "password": NEW_PASSWORD}
            logged_in = post(base + "/api/auth/v1/login", body)
        finally:
            log = stop(server)
    assert mailbox.deferred == 1, "deferred once, then sent again"
    assert "access_token" in logged_in
    worker_log = (tmp_path / "worker.log").read_text()
    for text in (log, worker_log):
        assert code not in text and NEW_PASSWORD not in text
{%- else %}


def test_over_http_through_the_server_command(
    tmp_path: Path,
    migrated: str,
    settings: dict[str, Any],
    app: Flask,
    auth: AuthActions,
    mailbox: Mailbox,
) -> None:
    """Two granian workers: the reset asked for and confirmed over HTTP, the mail sent by
    the worker that answered, after its answer."""
    user_with_address(app, auth, "dana")
    server, base, _sent = start_workers(tmp_path, migrated, settings)
    try:
        post(base + RESET, {"login": "dana"})
        code = mailbox.code(mailbox.wait_for(1)[0])
        post(base + CONFIRM, {"code": code, "new_password": NEW_PASSWORD})
        body = {"username": "dana", "password": NEW_PASSWORD}
        logged_in = post(base + "/api/auth/v1/login", body)
    finally:
        log = stop(server)
    assert "access_token" in logged_in
    assert code not in log and NEW_PASSWORD not in log
{%- endif %}


def post(url: str, body: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer
