"""One-time codes sent by mail: issued, mailed, claimed (the codes of accounts; those of
sign-ups and invitations, which are not accounts yet, are taken here too).

A code is 32 random bytes in base64url, mailed once; its row keeps only its SHA-256. A newer code
of the same purpose replaces the user's older one; claiming a code deletes its row in the same
statement that finds it live, so of two uses at once only one succeeds.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select

from ... import mail
from ...extensions import db
from ...models import utcnow
from .models import AccountCode, Registration, User

RESET, VERIFY = "reset", "verify"


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue(user: User, purpose: str, lifetime: timedelta, email: str | None = None) -> str:
    """A new code of the user's for purpose, replacing any older one (the caller commits)."""
    void(user, purpose)
    code, now = secrets.token_urlsafe(32), utcnow()
    db.session.add(
        AccountCode(
            user_id=user.id,
            purpose=purpose,
            code_hash=digest(code),
            email=email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return code


def void(user: User, purpose: str) -> None:
    """Delete the user's codes for purpose (the caller commits)."""
    db.session.execute(
        delete(AccountCode).where(AccountCode.user_id == user.id, AccountCode.purpose == purpose)
    )


def claim(code: str, purpose: str) -> AccountCode | None:
    """The live code's row, deleted so nobody uses it again (the caller commits); None if the
    code is unknown, used, expired or replaced."""
    return take(AccountCode, code, AccountCode.purpose == purpose)


Coded = TypeVar("Coded", AccountCode, Registration)


def take(  # noqa: UP047 (the project may target Python 3.11)
    model: type[Coded], code: str, *criteria: ColumnElement[bool]
) -> Coded | None:
    """The live row of model that holds the code's hash and meets the criteria, deleted in the
    statement that checks it is still there (the caller commits); None if there is none."""
    row = db.session.scalar(
        select(model).where(model.code_hash == digest(code), model.expires_at > utcnow(), *criteria)
    )
    if row is None:
        return None
    taken = db.session.execute(delete(model).where(model.id == row.id))
    return row if cast(CursorResult[Any], taken).rowcount == 1 else None


def send_verification(user: User, hours: int) -> None:
    """Mail the user's address a code that proves it is theirs (nothing without mail)."""
    if user.email is None or not mail.enabled():
        return
    code = issue(user, VERIFY, timedelta(hours=hours), email=user.email)
    db.session.commit()
    mail.send(
        mail.compose(
            "verify_email",
            user.email,
            "Confirm your email address",
            username=user.username,
            code=code,
            hours=hours,
        )
    )
