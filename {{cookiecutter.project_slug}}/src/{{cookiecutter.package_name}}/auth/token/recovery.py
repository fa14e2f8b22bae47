"""Account changes proven by a code sent by mail: a forgotten password reset, an address verified.

A reset is asked for by username or address, and answered the same way whatever the account:
the request only hands the name to the background (request_reset runs there), so it does the
same work, and takes the same time, for an account that exists and one that does not. The code
goes only to a verified address of an active user.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from ... import mail
from ...extensions import db
from . import codes, events
from .accounts import AccountError, revoke_pats
from .models import User
from .passwords import check_new_password, hash_password
from .tokens import end_sessions

RESET_JOB = "accounts.request_reset"
UNUSABLE_CODE = "The code is unknown, used, expired or replaced by a newer one."


def request_reset(login: str) -> None:
    """Mail a reset code to the account named by username or address, if it may have one
    (the background half of POST /password-reset)."""
    user = db.session.scalar(
        select(User).where(or_(User.username == login, User.email_key == login.casefold()))
    )
    if user is None or not user.active or not user.email_verified or user.email is None:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    code = codes.issue(user, codes.RESET, timedelta(minutes=minutes))
    db.session.commit()
    link_template: str = current_app.config["PASSWORD_RESET_URL"]
    message = mail.compose(
        "password_reset",
        user.email,
        "Reset your password",
        username=user.username,
        code=code,
        link=link_template.replace("{code}", code) if link_template else None,
        minutes=minutes,
    )
    mail.deliver(message.as_string(), [user.email])
    events.record(events.PASSWORD_RESET_SENT, user)


def reset_password(code: str, new_password: str) -> None:
    """Set a new password with a mailed code; every session and personal access token of the
    account ends (whoever asked for the reset may have been someone else)."""
    if problem := check_new_password(new_password):
        raise AccountError("new_password", problem)
    claimed = codes.claim(code, codes.RESET)
    if claimed is None or not claimed.user.active:
        db.session.rollback()
        raise AccountError("code", UNUSABLE_CODE)
    user = claimed.user
    user.password_hash = hash_password(new_password)
    end_sessions(user)
    revoke_pats(user)
    codes.void(user, codes.RESET)
    db.session.commit()
    events.record(events.PASSWORD_RESET, user)


def verify_email(code: str) -> User:
    """Mark the address a mailed code was sent to as verified, if it is still the user's."""
    claimed = codes.claim(code, codes.VERIFY)
    if claimed is None or claimed.email != claimed.user.email:
        db.session.rollback()
        raise AccountError("code", UNUSABLE_CODE)
    user = claimed.user
    user.email_verified = True
    db.session.commit()
    events.record(events.EMAIL_VERIFIED, user, user)
    return user
