"""What an account change does, decided in one place: the routes and `flask users ...` call these.

Each function checks its input, makes the change in one transaction and commits it, ends the
sessions that the change must end and records the security event (`actor`: the user who acts,
None for the server's CLI). A refusal is an AccountError naming the field. Two rules span
rows and hold under concurrent writers: names and addresses are unique (the database's unique
constraints decide, not a read before the write), and an active admin (scope users:admin) always
remains (the admins' rows are locked while it is checked).
"""

import re
from collections.abc import Iterable
from datetime import timedelta
from types import EllipsisType
from typing import Any, cast

from flask import current_app
from marshmallow import ValidationError
from marshmallow.validate import Email
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import utcnow
from . import codes, events, pats
from .models import PersonalAccessToken, RefreshToken, User
from .passwords import check_new_password, hash_password, verify_password
from .tokens import end_sessions, forget_checked

# The scope that lets a user manage the other users.
ADMIN_SCOPE = "users:admin"
USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,150}")
USERNAME_RULE = "A username is 1 to 150 letters, digits and . _ @ + - characters."
# An OAuth 2 scope token (RFC 6749, section 3.3): printable ASCII but space, " and \.
SCOPE = re.compile(r"[!#-\[\]-~]+")
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less its angle brackets
_EMAIL = Email()  # marshmallow's check; set_email words the refusal


class AccountError(Exception):
    """A change refused: which field, and why, in words a caller can act on. A conflict is a
    refusal of the current state (a taken name, the last admin), not of the input's form."""

    def __init__(self, field: str, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.conflict = conflict


def find_user(username: str) -> User | None:
    """The user of that name, or None."""
    return db.session.scalar(select(User).where(User.username == username))


def create_user(
    username: str,
    password: str,
    scopes: Iterable[str] = (),
    email: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an active user who logs in with this password."""
    check_username(username)
    granted = checked_scopes(scopes, actor)
    if problem := check_new_password(password):
        raise AccountError("password", problem)
    user = User(username=username, password_hash=hash_password(password), scopes=granted)
    set_email(user, email)
    db.session.add(user)
    commit_unique(user)
    events.record(events.USER_CREATED, user, actor)
    verify_address(user)
    return user


def update_user(
    user: User,
    *,
    email: str | None | EllipsisType = ...,
    scopes: Iterable[str] | None = None,
    active: bool | None = None,
    actor: User | None = None,
) -> User:
    """Change a user's address, scopes or state; what is not given stays. Disabling ends every
    session at once; losing the last active admin is refused."""
    was_active, address = user.active, user.email_key
    # Unflushed until the commit: keep_an_admin reads the state stored before the change.
    with db.session.no_autoflush:
        if scopes is not None:
            user.scopes = checked_scopes(scopes, actor, held=user.scope_set)
        if not isinstance(email, EllipsisType):
            set_email(user, email)
        if active is not None:
            user.active = active
        if not (user.active and ADMIN_SCOPE in user.scope_set):
            keep_an_admin(user, "scopes" if user.active else "active")
        if not user.active:
            end_sessions(user)
            revoke_pats(user)
    commit_unique(user)
    if scopes is not None:
        forget_checked()  # a token keeps only the scopes its user still has
    if was_active != user.active:
        events.record(events.USER_ENABLED if user.active else events.USER_DISABLED, user, actor)
    if scopes is not None or not isinstance(email, EllipsisType):
        events.record(events.USER_CHANGED, user, actor)
    if user.email_key != address:
        verify_address(user)
    return user


def verify_address(user: User) -> None:
    """Mail a new address a code that proves it (until then no reset goes there)."""
    codes.send_verification(user, current_app.config["EMAIL_VERIFY_HOURS"])


def delete_user(user: User, actor: User | None = None) -> None:
    """Delete a user and every refresh token of theirs; never the last active admin. (Their
    rows go by name, not by the foreign key's cascade, which SQLite applies only when asked.)"""
    keep_an_admin(user, "username")
    forget_checked()
    user_id = user.id
    for table in (RefreshToken, PersonalAccessToken):
        db.session.execute(delete(table).where(table.user_id == user_id))
    db.session.delete(user)
    db.session.commit()
    events.record(events.USER_DELETED, user_id, actor)


def delete_own_account(user: User, password: str) -> None:
    """A user deletes their own account, proving it with their password."""
    check_password(user, password, "password")
    delete_user(user, actor=user)


def change_password(user: User, current: str, new: str, keep_session: str | None) -> None:
    """Set a new password (the current one proves it is the user) and end every session of the
    user but the one that asked (keep_session, a refresh family)."""
    check_password(user, current, "current_password")
    if problem := check_new_password(new):
        raise AccountError("new_password", problem)
    user.password_hash = hash_password(new)
    end_sessions(user, keep=keep_session)
    codes.void(user, codes.RESET)
    db.session.commit()
    events.record(events.PASSWORD_CHANGED, user, user)


def end_user_sessions(user: User, keep: str | None = None, only: str | None = None) -> int:
    """Log the user out of one session (only), or of every session but keep; how many ended."""
    ended = end_sessions(user, keep=keep, only=only)
    db.session.commit()
    if ended:
        events.record(events.SESSIONS_REVOKED, user, user)
    return ended


def issue_pat(
    user: User, name: str, scopes: Iterable[str], days: int
) -> tuple[PersonalAccessToken, str]:
    """Make a personal access token of the user's, with some of their scopes, for `days` days
    (at most PAT_MAX_DAYS); the token itself is returned this once and kept nowhere."""
    granted = checked_scopes(scopes, actor=user)
    if not 1 <= days <= (most := current_app.config["PAT_MAX_DAYS"]):
        raise AccountError("expires_in_days", f"A token lives 1 to {most} days.")
    token, now = pats.new_token(), utcnow()
    pat = PersonalAccessToken(
        user=user,
        name=name,
        token_hash=pats.digest(token),
        scopes=granted,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(pat)
    db.session.commit()
    events.record(events.PAT_CREATED, user, user)
    return pat, token


def revoke_pat(user: User, pat_id: int) -> bool:
    """Revoke one of the user's personal access tokens; False if they have no such live one."""
    revoked = revoke_pats(user, pat_id)
    db.session.commit()
    if revoked:
        events.record(events.PAT_REVOKED, user, user)
    return revoked > 0


def revoke_pats(user: User, pat_id: int | None = None) -> int:
    """Revoke the user's live personal access tokens, or the one given (the caller commits)."""
    forget_checked()
    revoke = (
        update(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user.id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if pat_id is not None:
        revoke = revoke.where(PersonalAccessToken.id == pat_id)
    return cast(CursorResult[Any], db.session.execute(revoke)).rowcount


def check_password(user: User, password: str, field: str) -> None:
    """Refuse, naming field, a password that is not the user's."""
    if not verify_password(user.password_hash, password):
        raise AccountError(field, "The password is wrong.")


def checked_scopes(
    scopes: Iterable[str], actor: User | None = None, held: frozenset[str] = frozenset()
) -> str:
    """The scopes as stored: sorted, space-separated, each an OAuth 2 scope token. A user may
    grant only scopes they hold (the server's CLI, any); those already held may stay."""
    chosen = sorted(set(scopes))
    if bad := [scope for scope in chosen if not SCOPE.fullmatch(scope)]:
        raise AccountError("scopes", f"Not a scope: {bad[0]!r} (no spaces, quotes or backslashes).")
    if actor is not None and (ungranted := set(chosen) - actor.scope_set - held):
        names = ", ".join(sorted(ungranted))
        raise AccountError("scopes", f"You cannot grant scopes you do not hold: {names}.")
    return " ".join(chosen)


def set_email(user: User, email: str | None) -> None:
    """Give the user an address, kept as written and unique whatever its case; None removes it."""
    if email is None:
        user.email = user.email_key = None
        user.email_verified = False
        return
    check_email(email)
    if email.casefold() != user.email_key:
        user.email_verified = False  # until a code sent there comes back
    user.email, user.email_key = email, email.casefold()


def check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise AccountError("username", USERNAME_RULE)


def check_email(email: str) -> None:
    if len(email) > EMAIL_MAX_LENGTH:
        raise AccountError("email", f"An email address is at most {EMAIL_MAX_LENGTH} characters.")
    try:
        _EMAIL(email)
    except ValidationError:
        raise AccountError("email", f"Not an email address: {email!r}.") from None


def keep_an_admin(leaving: User, field: str) -> None:
    """Refuse a change that would leave no active admin (the caller has applied it to the
    session, unflushed). The rows that decide are read and locked in one statement, in id order,
    so two admins demoted at once cannot each see the other still standing: the one that waited
    reads the other's committed change."""
    rows = (
        select(User.id, User.active, User.scopes)
        .where(User.active | (User.id == leaving.id))
        .order_by(User.id)
        .with_for_update()
    )
    with db.session.no_autoflush:
        if db.session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE, and its driver begins a transaction at the first write:
            # a write first takes the database's one write lock, so a second writer waits here.
            touch = update(User).where(User.id == leaving.id).values(active=User.active)
            db.session.execute(touch.execution_options(synchronize_session=False))
        stored = db.session.execute(rows).all()
    admins = {row.id for row in stored if row.active and ADMIN_SCOPE in row.scopes.split()}
    if leaving.id in admins and not admins - {leaving.id}:
        message = (
            f"{leaving.username} is the last active user with {ADMIN_SCOPE}: give the scope to"
            " another user first."
        )
        db.session.rollback()
        raise AccountError(field, message, conflict=True)


def commit_unique(user: User) -> None:
    """Commit; a name or address that another user holds is refused, as the database decides.
    (Names never change: an existing user's conflict is its address.)"""
    existing, username = user.id is not None, user.username
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = db.session.scalar(select(User.id).where(User.username == username))
        field = "username" if taken is not None and not existing else "email"
        raise AccountError(field, f"That {field} is taken.", conflict=True) from None
