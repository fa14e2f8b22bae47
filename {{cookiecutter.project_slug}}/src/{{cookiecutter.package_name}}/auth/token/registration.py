"""Ways in besides an admin's: signing up (REGISTRATION=open) and invitations (invite).

Both wait in a Registration row for a code mailed to the address, and make the account only
when the code comes back: a name or an address is never held by someone who cannot read its
mail, and an account that signed up has a verified address from its first login.

A sign-up answers the same whoever holds the name or the address. The request checks the
form, hashes the password and stores the row, the same work every time; the background looks
at who holds them and mails the address either its code or a notice that it cannot be used.
"""

import secrets
from datetime import timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, delete, or_, select
from werkzeug.exceptions import Forbidden

from ... import mail, tasks
from ...extensions import db
from ...models import utcnow
from . import codes, events
from .accounts import (
    AccountError,
    check_email,
    check_username,
    checked_scopes,
    commit_unique,
)
from .models import Registration, User
from .passwords import check_new_password, hash_password
from .recovery import UNUSABLE_CODE

OPEN, INVITE, CLOSED = "open", "invite", "closed"
SIGN_UP = "sign_up"  # a Registration's kind; an invitation's is INVITE
MAIL_JOB = "registration.mail_code"


def init_app(app: Flask) -> None:
    """Refuse a way in that cannot mail its codes, and let the background mail them."""
    if app.config["REGISTRATION"] != CLOSED and not app.config["MAIL_URL"]:
        raise RuntimeError(
            f"REGISTRATION: {app.config['REGISTRATION']} sends codes by mail; set MAIL_URL and "
            "MAIL_FROM, or REGISTRATION=closed"
        )
    tasks.register(app, MAIL_JOB, mail_code, retry_on=mail.TEMPORARY)


def require(mode: str) -> None:
    """Refuse (403) a way in that REGISTRATION does not open."""
    if (setting := current_app.config["REGISTRATION"]) != mode:
        raise Forbidden(f"This server does not take this way in (REGISTRATION={setting}).")


def sign_up(username: str, email: str, password: str) -> None:
    """Store a sign-up and have its code mailed; the account is made when it comes back."""
    check_username(username)
    check_email(email)
    if problem := check_new_password(password):
        raise AccountError("password", problem)
    hours = current_app.config["EMAIL_VERIFY_HOURS"]
    row = Registration(
        kind=SIGN_UP,
        email=email,
        username=username,
        password_hash=hash_password(password),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.commit()
    tasks.later(MAIL_JOB, row.id)


def invite(email: str, scopes: list[str], actor: User) -> Registration:
    """Have an invitation mailed to an address that no user has: its code lets the invitee
    choose a name and a password, and the account gets the scopes (the admin's own only)."""
    check_email(email)
    granted = checked_scopes(scopes, actor)
    # Read before the write, so two invitations to one address may both go out: the account's
    # unique address still lets only one of them in.
    if db.session.scalar(select(User.id).where(User.email_key == email.casefold())) is not None:
        raise AccountError("email", "That email is taken.", conflict=True)
    days = current_app.config["INVITATION_DAYS"]
    row = Registration(
        kind=INVITE,
        email=email,
        scopes=granted,
        invited_by=actor.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(row)
    db.session.commit()
    tasks.later(MAIL_JOB, row.id)
    events.record(events.USER_INVITED, None, actor)
    return row


def withdraw(invitation_id: int, actor: User) -> bool:
    """Delete an invitation, so its code lets nobody in; False if there is no such one."""
    gone = db.session.execute(
        delete(Registration).where(Registration.id == invitation_id, Registration.kind == INVITE)
    )
    db.session.commit()
    withdrawn = cast(CursorResult[Any], gone).rowcount > 0
    if withdrawn:
        events.record(events.INVITATION_WITHDRAWN, None, actor)
    return withdrawn


def mail_code(registration_id: int) -> None:
    """Mail a sign-up or an invitation its code, or a sign-up to a held name or address the
    notice instead (the background half of sign_up and invite). Run again after a failed send,
    it mails a new code: the row keeps only the newest one's hash."""
    row = db.session.get(Registration, registration_id)
    if row is None:
        return  # withdrawn, or used
    if row.kind == SIGN_UP and (holder := holder_of(row)) is not None:
        taken = "email" if holder.email_key == row.email.casefold() else "username"
        notice = mail.compose(
            "sign_up_taken", row.email, "Your sign-up", username=row.username, taken=taken
        )
        mail.deliver(notice.as_string(), [row.email])
        db.session.delete(row)
        db.session.commit()
        return
    code = secrets.token_urlsafe(32)
    row.code_hash = codes.digest(code)
    db.session.commit()
    if row.kind == SIGN_UP:
        hours = current_app.config["EMAIL_VERIFY_HOURS"]
        message = mail.compose(
            "sign_up",
            row.email,
            "Confirm your sign-up",
            username=row.username,
            code=code,
            hours=hours,
        )
    else:
        inviter = None if row.invited_by is None else db.session.get(User, row.invited_by)
        message = mail.compose(
            "invitation",
            row.email,
            "You are invited",
            inviter=None if inviter is None else inviter.username,
            code=code,
            days=current_app.config["INVITATION_DAYS"],
        )
    mail.deliver(message.as_string(), [row.email])


def holder_of(row: Registration) -> User | None:
    """The user who holds the sign-up's name or address, if any."""
    held = or_(User.email_key == row.email.casefold(), User.username == row.username)
    return db.session.scalars(select(User).where(held).limit(1)).first()


def confirm_sign_up(code: str) -> User:
    """Make the account of a sign-up whose mailed code came back, its address verified."""
    row = codes.take(Registration, code, Registration.kind == SIGN_UP)
    if row is None or row.username is None or row.password_hash is None:
        db.session.rollback()
        raise AccountError("code", UNUSABLE_CODE)
    user = account(row, row.username, row.password_hash)
    events.record(events.USER_SIGNED_UP, user, user)
    return user


def accept_invitation(code: str, username: str, password: str) -> User:
    """Make the account of an invitation whose mailed code came back, with the name and the
    password the invitee chose; a taken name is refused and the code stays good."""
    check_username(username)
    if problem := check_new_password(password):
        raise AccountError("password", problem)
    password_hash = hash_password(password)
    row = codes.take(Registration, code, Registration.kind == INVITE)
    if row is None:
        db.session.rollback()
        raise AccountError("code", UNUSABLE_CODE)
    user = account(row, username, password_hash)
    events.record(events.INVITATION_ACCEPTED, user, user)
    return user


def account(row: Registration, username: str, password_hash: str) -> User:
    """The account a used code makes, committed with the code's deletion; if the name or the
    address is taken by now, neither happens (409)."""
    user = User(
        username=username,
        password_hash=password_hash,
        email=row.email,
        email_key=row.email.casefold(),
        email_verified=True,
        scopes=row.scopes,
    )
    db.session.add(user)
    commit_unique(user)
    return user


def purge_expired() -> int:
    """Delete the sign-ups and invitations past their expiry; how many (the caller commits)."""
    expired = delete(Registration).where(Registration.expires_at < utcnow())
    return cast(CursorResult[Any], db.session.execute(expired)).rowcount
