"""Personal access tokens: made, recognised and checked here (what a user may do with them,
accounts.py decides).

A token is PREFIX, which names the project, then 43 characters of base64url (32 random bytes):
secret scanners find a leaked one by PATTERN. Its row keeps only the token's SHA-256, so the
table holds nothing usable; a lookup is one probe of the unique index on it.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, bindparam, or_, select, update

from ...extensions import db
from ...models import utcnow
from ..base import Identity, unauthorized
from .models import PersonalAccessToken, User

PREFIX = __name__.split(".")[0] + "_pat_"
PATTERN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{43}")
PAT_SCHEME_NAME = "personalAccessToken"
PAT_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": f"A personal access token ({PREFIX}...) from POST /api/auth/v1/tokens, sent"
    " as 'Authorization: Bearer <token>'; it grants the scopes it was given.",
}
# A token's last use is written at most this often: a busy machine client costs no write per
# request (and requests its worker answers from the token cache cost no read either).
LAST_USED_EVERY = timedelta(minutes=1)

_NOW: BindParameter[datetime] = bindparam("now")
_LIVE = (
    select(PersonalAccessToken, User)
    .join(User, PersonalAccessToken.user_id == User.id)
    .where(
        PersonalAccessToken.token_hash == bindparam("token_hash"),
        PersonalAccessToken.revoked_at.is_(None),
        PersonalAccessToken.expires_at > _NOW,
        User.active,
    )
)
_USED = (
    update(PersonalAccessToken)
    .where(
        PersonalAccessToken.id == bindparam("pat_id"),
        or_(
            PersonalAccessToken.last_used_at.is_(None),
            PersonalAccessToken.last_used_at <= bindparam("stale"),
        ),
    )
    .values(last_used_at=_NOW)
    .execution_options(synchronize_session=False)
)


def new_token() -> str:
    """A new token: PREFIX and 32 random bytes."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the table keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_pat(token: str) -> bool:
    return token.startswith(PREFIX)


def authenticate(token: str) -> tuple[Identity, datetime]:
    """The caller a live token of an active user stands for, and when the token expires; 401
    otherwise. Its scopes are those it was given that its owner still holds."""
    now = utcnow()
    row = db.session.execute(_LIVE, {"token_hash": digest(token), "now": now}).first()
    if row is None:
        raise unauthorized("The personal access token is unknown, expired or revoked.")
    pat, user = row
    if pat.last_used_at is None or pat.last_used_at <= now - LAST_USED_EVERY:
        # Conditional: of the workers that see it stale at once, one writes.
        db.session.execute(_USED, {"pat_id": pat.id, "stale": now - LAST_USED_EVERY, "now": now})
        db.session.commit()
    identity = Identity(
        subject=user.username, name=user.username, scopes=pat.scope_set & user.scope_set
    )
    return identity, pat.expires_at
