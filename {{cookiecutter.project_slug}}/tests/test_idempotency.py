"""Idempotency keys on POST: a retry with the same key and request gets the first answer again
and writes nothing; another request with the key is refused; one still running is told to wait."""

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from {{ cookiecutter.package_name }}.api.idempotency import LEASE_SECONDS, IdempotencyKey
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource, utcnow

URL = "/api/resources/v1"
KEY = "Idempotency-Key"
# The POST routes that take a key, and those that do not, each with its reason: a new POST
# route must be in one list or the other.
IDEMPOTENT = {
    "/api/resources/v1",
{%- if cookiecutter.tasks == "celery" %}
    "/api/jobs/v1",
{%- endif %}
{%- if cookiecutter.auth == "token" %}
    "/api/users/v1",
    "/api/users/v1/invitations",
{%- endif %}
}
{%- if cookiecutter.auth == "token" %}
NOT_IDEMPOTENT = {
    # Their answers hold tokens, which the table would keep.
    "/api/auth/v1/login",
    "/api/auth/v1/refresh",
    "/api/auth/v1/token",
    "/api/auth/v1/tokens",
    # Done once whatever the retries: a single-use code makes the account, or the same change
    # made again changes nothing more (a sign-up or a reset asked again mails a new code).
    "/api/auth/v1/signup/confirm",
    "/api/auth/v1/invitations/accept",
    "/api/auth/v1/logout",
    "/api/auth/v1/password",
    "/api/auth/v1/password-reset",
    "/api/auth/v1/password-reset/confirm",
    "/api/auth/v1/email/verification",
    "/api/auth/v1/email/verify",
    "/api/auth/v1/signup",
}
{%- else %}
NOT_IDEMPOTENT: set[str] = set()
{%- endif %}


def create(client: FlaskClient, headers: dict[str, str], name: str, key: str | None) -> Any:
    """POST a resource named name, with the key if given, its body as raw JSON bytes."""
    sent = {**headers, **({KEY: key} if key is not None else {})}
    body = json.dumps({"name": name})
    return client.post(URL, data=body, content_type="application/json", headers=sent)


def stored(app: Flask, name: str) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Resource).where(Resource.name == name)
        return int(db.session.scalar(query) or 0)


def test_a_retry_gets_the_first_answer_and_writes_nothing(
    app: Flask, client: FlaskClient, writer_headers: dict[str, str]
) -> None:
    first = create(client, writer_headers, "once", "key-1")
    again = create(client, writer_headers, "once", "key-1")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    for header in ("Location", "ETag"):
        assert again.headers.get(header) == first.headers.get(header)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored(app, "once") == 1


def test_the_same_key_with_another_request_is_refused(
    app: Flask, client: FlaskClient, writer_headers: dict[str, str]
) -> None:
    assert create(client, writer_headers, "first", "key-2").status_code == 201
    refused = create(client, writer_headers, "second", "key-2")
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert KEY in refused.get_json()["detail"]
    assert stored(app, "second") == 0


def test_without_a_key_nothing_changes(client: FlaskClient, writer_headers: dict[str, str]) -> None:
    assert create(client, writer_headers, "plain", None).status_code == 201
    assert create(client, writer_headers, "plain", None).status_code == 409


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\xe9"])
def test_a_malformed_key_is_refused(
    app: Flask, client: FlaskClient, writer_headers: dict[str, str], key: str
) -> None:
    refused = create(client, writer_headers, "malformed", key)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    assert stored(app, "malformed") == 0


def test_a_request_that_fails_gives_its_key_back(
    client: FlaskClient, writer_headers: dict[str, str]
) -> None:
    """Only a 2xx is kept: after a 409 the key runs a request again."""
    assert create(client, writer_headers, "taken", None).status_code == 201
    assert create(client, writer_headers, "taken", "key-3").status_code == 409
    assert create(client, writer_headers, "free", "key-3").status_code == 201


def test_a_request_still_running_is_told_to_come_back_and_an_abandoned_one_runs_again(
    app: Flask, client: FlaskClient, writer_headers: dict[str, str]
) -> None:
    """A claim with no answer yet: 409 with Retry-After; once older than the lease (its process
    died mid-request), the request runs."""
    assert create(client, writer_headers, "probe", "key-probe").status_code == 201
    body = json.dumps({"name": "waiting"}).encode()
    fingerprint = hashlib.sha256(f"POST {URL}?\n".encode() + body).hexdigest()
    with app.app_context():
        probe = db.session.scalar(select(IdempotencyKey))
        assert probe is not None
        claim = IdempotencyKey(
            caller=probe.caller,
            idempotency_key="key-4",
            fingerprint=fingerprint,
            created_at=utcnow(),
        )
        db.session.add(claim)
        db.session.commit()
    busy = create(client, writer_headers, "waiting", "key-4")
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert stored(app, "waiting") == 0
    with app.app_context():
        lease_ago = utcnow() - timedelta(seconds=LEASE_SECONDS + 1)
        db.session.execute(update(IdempotencyKey).values(created_at=lease_ago))
        db.session.commit()
    assert create(client, writer_headers, "waiting", "key-4").status_code == 201
    assert stored(app, "waiting") == 1
{%- if cookiecutter.auth != "none" %}


def test_keys_belong_to_their_caller(app: Flask, client: FlaskClient, auth: Any) -> None:
    """Two callers' equal keys are two keys."""
    scopes = ("resources:read", "resources:write")
    alice, bob = auth.headers("alice", scopes), auth.headers("bob", scopes)
    assert create(client, alice, "alices", "shared-key").status_code == 201
    assert create(client, bob, "bobs", "shared-key").status_code == 201
{%- endif %}


def test_purge_deletes_the_keys_past_their_hours(app: Flask) -> None:
    with app.app_context():
        hours = app.config["IDEMPOTENCY_HOURS"]
        old = utcnow() - timedelta(hours=hours, minutes=1)
        for key, created in (("old", old), ("new", utcnow())):
            db.session.add(
                IdempotencyKey(caller="", idempotency_key=key, fingerprint="f", created_at=created)
            )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["idempotency", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 idempotency keys" in result.output
    with app.app_context():
        assert list(db.session.scalars(select(IdempotencyKey.idempotency_key))) == ["new"]


def test_every_post_route_decides_whether_it_takes_a_key(client: FlaskClient) -> None:
    """The spec documents the header on the routes that take it, and only there."""
    paths = client.get("/openapi.json").get_json()["paths"]
    posts = {path: item["post"] for path, item in paths.items() if "post" in item}
    taking = {
        path
        for path, post in posts.items()
        if KEY in {parameter["name"] for parameter in post.get("parameters", [])}
    }
    assert taking == IDEMPOTENT
    assert set(posts) - taking == NOT_IDEMPOTENT
