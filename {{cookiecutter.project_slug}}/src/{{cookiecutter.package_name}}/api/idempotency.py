"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a POST route declares
`@idempotent(blp)`, and a client that sends `Idempotency-Key` may retry it safely.

One table (migration 0013) holds, per caller and key, a fingerprint of the request (SHA-256 of
its method, path and body) and, once it has finished, its answer (status, Location, ETag, body):

- the first request claims the key (an INSERT: of two at once, the unique key lets one in) and
  runs; a 2xx answer is kept, anything else gives the key back, so a retry runs again;
- a retry with the same request gets the kept answer again, marked `Idempotent-Replayed: true`,
  and writes nothing; the same key with another request is refused (422); while the first is
  still running, a retry is told to come back (409, Retry-After);
- a claim still unfinished after LEASE_SECONDS was left by a process that died mid-request: its
  request may run again.

Keys are kept IDEMPOTENCY_HOURS; `flask idempotency purge` deletes older ones. Without the header
nothing changes. Routes whose answer holds a secret (a token, a code) do not take keys: the
table would keep the secret.
"""

import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import click
from flask import Response, current_app, request
from flask.cli import AppGroup
from sqlalchemy import LargeBinary, String, UniqueConstraint, and_, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from ..auth import current_identity
from ..config import POSITIVE, Setting, Settings
from ..errors import problem
from ..extensions import Base, db
from ..models import UTCDateTime, utcnow
from ..openapi import Blueprint

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # 1 to 255 visible ASCII characters
# Longer than any request runs (the load balancer gives up on a replica after 60 s).
LEASE_SECONDS = 120
RETRY_AFTER = "1"
SETTLE_ATTEMPTS = 3

SETTINGS: Settings = {"IDEMPOTENCY_HOURS": Setting("int", 24, POSITIVE)}

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Any value of 1 to 255 visible characters, new for each new request: a "
    "retry with the same key and the same request gets the first answer again and writes "
    "nothing.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY.pattern},
}

View = Callable[..., Any]


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The answer, once the request has finished with a 2xx.
    status: Mapped[int | None]
    location: Mapped[str | None] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)


def idempotent(blp: Blueprint) -> Callable[[View], View]:
    """Take an Idempotency-Key on this POST: in the spec, remembered, replayed. Put it below
    require_scopes (the key is the caller's) and above the arguments."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def remembering(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not KEY.fullmatch(key):
                return problem(400, f"{HEADER} must be 1 to 255 visible ASCII characters.")
            caller = current_identity().subject or ""
            body = request.get_data(cache=True)
            line = f"{request.method} {request.full_path}\n".encode()
            fingerprint = hashlib.sha256(line + body).hexdigest()
            held = claim(caller, key, fingerprint)
            if held is not None:
                return answer_again(held, fingerprint)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                settle(release, caller, key)
                raise
            if 200 <= response.status_code < 300:
                settle(remember, caller, key, response)
            else:
                settle(release, caller, key)
            return response

        documented: View = blp.doc(parameters=[PARAMETER])(remembering)
        return blp.problems(409, 422)(documented)

    return decorator


def mine(caller: str, key: str) -> Any:
    return and_(IdempotencyKey.caller == caller, IdempotencyKey.idempotency_key == key)


def claim(caller: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Claim the key for this request (None), or return the claim that holds it."""
    now = utcnow()
    expired = now - timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])
    abandoned = now - timedelta(seconds=LEASE_SECONDS)
    stale = or_(
        IdempotencyKey.created_at < expired,
        and_(IdempotencyKey.status.is_(None), IdempotencyKey.created_at < abandoned),
    )
    db.session.execute(delete(IdempotencyKey).where(mine(caller, key), stale))
    db.session.add(
        IdempotencyKey(caller=caller, idempotency_key=key, fingerprint=fingerprint, created_at=now)
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        held = db.session.scalar(select(IdempotencyKey).where(mine(caller, key)))
        # Gone meanwhile (its request failed): still running a moment ago, as far as we know.
        return held or IdempotencyKey(fingerprint=fingerprint, status=None)
    return None


def settle(step: Callable[..., None], *args: Any) -> None:
    """Record how the request ended, trying again after a passing database error (a lock held
    too long on a busy SQLite file): a claim left unsettled refuses every retry until its lease
    ends."""
    for attempt in range(SETTLE_ATTEMPTS):
        db.session.rollback()
        try:
            step(*args)
            return
        except OperationalError:
            if attempt == SETTLE_ATTEMPTS - 1:
                raise
            logger.warning("idempotency key not settled; trying again", exc_info=True)
            time.sleep(0.1 * (attempt + 1))


def remember(caller: str, key: str, response: Response) -> None:
    """Keep a 2xx answer for the retries."""
    db.session.execute(
        update(IdempotencyKey)
        .where(mine(caller, key))
        .values(
            status=response.status_code,
            location=response.headers.get("Location"),
            etag=response.headers.get("ETag"),
            body=response.get_data(),
        )
    )
    db.session.commit()


def release(caller: str, key: str) -> None:
    """Give the key back: the request did not succeed, a retry may run it again."""
    db.session.execute(delete(IdempotencyKey).where(mine(caller, key)))
    db.session.commit()


def answer_again(held: IdempotencyKey, fingerprint: str) -> Response:
    """The kept answer, or why there is none to give."""
    if held.fingerprint != fingerprint:
        detail = f"This {HEADER} came with another request; a new request needs a new key."
        return problem(422, detail)
    if held.status is None:
        detail = f"A request with this {HEADER} is still running; try again shortly."
        return problem(409, detail, headers={"Retry-After": RETRY_AFTER})
    response = current_app.response_class(held.body, status=held.status)
    response.mimetype = "application/json"
    for name, value in (("Location", held.location), ("ETag", held.etag)):
        if value:
            response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


cli = AppGroup("idempotency", help="Manage the idempotency keys of POST requests.")


@cli.command("purge")
def purge() -> None:
    """Delete the keys older than IDEMPOTENCY_HOURS."""
    hours = current_app.config["IDEMPOTENCY_HOURS"]
    expired = IdempotencyKey.created_at < utcnow() - timedelta(hours=hours)
    deleted = cast(CursorResult[Any], db.session.execute(delete(IdempotencyKey).where(expired)))
    db.session.commit()
    click.echo(f"Deleted {deleted.rowcount} idempotency keys older than {hours} hours.")
