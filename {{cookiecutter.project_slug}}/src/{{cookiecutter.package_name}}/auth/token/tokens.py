"""Access and refresh tokens: issue, rotate, revoke, verify; every refusal is a 401 problem.

As in microblog-api: access tokens are short-lived; refresh tokens are stored, each refresh
rotates the presented one out, and presenting a rotated one again revokes the whole family
(every token descended from the same login), since it was stolen or replayed; but within a few
seconds of its rotation, it gets the same new pair again, as from concurrent tabs.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from uuid import UUID, uuid4, uuid5

from flask import Response, current_app, g, has_request_context, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_current_user,
    get_jwt,
    verify_jwt_in_request,
)
from sqlalchemy import BindParameter, CursorResult, bindparam, delete, func, select, update
from sqlalchemy.orm import aliased

from ...errors import problem_for_http_exception
from ...extensions import db
from ...models import utcnow
from ..base import Identity, unauthorized
from ..cache import TokenCache
from . import pats
from .models import RefreshToken, User

SCHEME_NAME = "bearerAuth"
# OAuth 2's password flow, so /docs logs in with a username and password (routes.Token); the
# access token is then sent as "Authorization: Bearer <token>", whichever route issued it.
SECURITY_SCHEME = {
    "type": "oauth2",
    "description": "A JWT access token from /api/auth/v1/login (or /token, OAuth 2's form), "
    "sent as 'Authorization: Bearer <token>'; it carries its user's scopes.",
    "flows": {"password": {"tokenUrl": "/api/auth/v1/token", "scopes": {}}},
}

# Claims beside the registered ones: the login a token descends from, and (access tokens
# only) the scopes granted, space-separated as in OAuth 2.
FAMILY_CLAIM = "fam"
SCOPE_CLAIM = "scope"

jwt = JWTManager()
# app.extensions key of the callers of checked access tokens (authenticate).
CHECKED = "token_checks"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
    scope: str = ""  # the access token's scopes, space-separated


def issue_tokens(
    user: User,
    family: str | None = None,
    scopes: Iterable[str] | None = None,
    jti: str | None = None,
) -> TokenPair:
    """Issue an access and a refresh token and record the refresh token (the caller commits).

    A login starts a new family; a refresh continues the presented token's. The access token
    carries the user's scopes, or the subset given.
    """
    granted = user.scope_set if scopes is None else frozenset(scopes)
    # JWTs count whole seconds: the row keeps the iat exactly, to sign the pair again.
    now = utcnow().replace(microsecond=0)
    lifetime: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    token = RefreshToken(
        jti=jti or str(uuid4()),
        family=family or str(uuid4()),
        user=user,
        scope=" ".join(sorted(granted)),
        created_at=now,
        expires_at=now + timedelta(seconds=int(lifetime.total_seconds())),
        user_agent=(request.user_agent.string[:255] or None) if has_request_context() else None,
    )
    db.session.add(token)
    return sign(token)


def sign(token: RefreshToken) -> TokenPair:
    """The pair issued with a recorded refresh token, the same strings each time it is asked.

    Every claim comes from the row (flask-jwt-extended lets additional claims override its
    own, iat and jti included) and HS256 is deterministic, so the table holds no usable token.
    """
    lifetime: timedelta = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    issued = {"iat": token.created_at, "nbf": token.created_at, FAMILY_CLAIM: token.family}
    access_token = create_access_token(
        token.user.username,
        additional_claims={
            **issued,
            # Access tokens are not recorded: derive a jti of its own from the pair's.
            "jti": str(uuid5(UUID(token.jti), "access")),
            "exp": token.created_at + lifetime,
            SCOPE_CLAIM: token.scope,
        },
    )
    refresh_token = create_refresh_token(
        token.user.username,
        additional_claims={**issued, "jti": token.jti, "exp": token.expires_at},
    )
    return TokenPair(access_token, refresh_token, int(lifetime.total_seconds()), scope=token.scope)


def rotate(claims: dict[str, Any], user: User) -> TokenPair:
    """Use up the presented refresh token and issue the next pair of its family.

    Within REFRESH_GRACE_SECONDS of that, presenting it again answers the same pair: two tabs
    refreshing at once both go on. Later, it was stolen or replayed: the family is revoked.
    """
    successor = str(uuid4())
    result = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == claims["jti"], RefreshToken.rotated_at.is_(None))
        .values(rotated_at=utcnow(), successor_jti=successor)
    )
    # A single conditional UPDATE, so two concurrent refreshes cannot both use one token. It
    # records the successor, and its row is added in the same transaction: another request
    # sees both or neither.
    if cast(CursorResult[Any], result).rowcount == 1:
        tokens = issue_tokens(user, family=claims[FAMILY_CLAIM], jti=successor)
        db.session.commit()
        return tokens
    # The UPDATE waited for the rotation that beat it to commit, but this transaction may
    # still read from a snapshot taken before (REPEATABLE READ, MariaDB's default): end it.
    db.session.rollback()
    if (repeated := _successor(claims["jti"])) is not None:
        return sign(repeated)
    revoke_family(claims[FAMILY_CLAIM])
    db.session.commit()
    raise unauthorized("The refresh token was already used: this login is revoked.")


def _successor(jti: str) -> RefreshToken | None:
    """The token that rotating this one issued, while within the grace window."""
    grace = timedelta(seconds=current_app.config["REFRESH_GRACE_SECONDS"])
    rotated = aliased(RefreshToken)
    return db.session.scalar(
        select(RefreshToken)
        .join(rotated, rotated.successor_jti == RefreshToken.jti)
        .where(rotated.jti == jti, rotated.rotated_at > utcnow() - grace)
    )


def revoke_family(family: str) -> None:
    """Revoke every token of one login (the caller commits)."""
    forget_checked()
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_sessions(user: User, keep: str | None = None, only: str | None = None) -> int:
    """Revoke every token of every login (family) of a user but keep, or of the one login only;
    return how many tokens (the caller commits)."""
    forget_checked()
    revoke = (
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None:
        revoke = revoke.where(RefreshToken.family != keep)
    if only is not None:
        revoke = revoke.where(RefreshToken.family == only)
    return cast(CursorResult[Any], db.session.execute(revoke)).rowcount


def forget_checked() -> None:
    """Check every access token against the database again, in this worker."""
    current_app.extensions[CHECKED].clear()


def purge_expired() -> int:
    """Delete the refresh tokens past their expiry; return how many (the caller commits)."""
    result = db.session.execute(delete(RefreshToken).where(RefreshToken.expires_at < utcnow()))
    return cast(CursorResult[Any], result).rowcount


def authenticate() -> Identity:
    """The caller of this request, from its access token or personal access token, while its
    user exists and is active.

    Its scopes are those granted in the token that the user still holds. A worker remembers the
    caller of a token it checked for TOKEN_CACHE_TTL_SECONDS (never past the token's expiry): a
    logout, a revoked token or a disabled user reaches the other workers within that time, this
    one at once.
    """
    checked: TokenCache[Identity] = current_app.extensions[CHECKED]
    authorization = request.headers.get("Authorization", "")
    key = hashlib.sha256(authorization.encode()).digest()
    if (identity := checked.get(key)) is not None:
        return identity
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer" and pats.is_pat(credential):
        identity, expires = pats.authenticate(credential)
        checked.put(key, identity, expires.timestamp())
        return identity
    if verify_jwt_in_request() is None:  # flask-jwt-extended skips OPTIONS requests
        raise unauthorized("A bearer token is required.", error=None)
    user: User = get_current_user()
    claims = get_jwt()
    granted = frozenset(str(claims.get(SCOPE_CLAIM, "")).split())
    identity = Identity(
        subject=user.username,
        name=user.username,
        scopes=granted & user.scope_set,
        session=claims[FAMILY_CLAIM],
    )
    checked.put(key, identity, claims["exp"])
    return identity


# A family's state: how many tokens it holds, and how many of them are revoked. Built once.
_FAMILY: BindParameter[str] = bindparam("family")
_TOKENS = select(func.count()).where(RefreshToken.family == _FAMILY).scalar_subquery()
_REVOKED = (
    select(func.count(RefreshToken.revoked_at))
    .where(RefreshToken.family == _FAMILY)
    .scalar_subquery()
)
_STATE = select(_TOKENS, _REVOKED)
# A token's user while it exists and is active; with its family's state, one query for every
# request an access token authenticates.
_USER = select(User).where(User.username == bindparam("username"), User.active)
_CALLER = _USER.add_columns(_TOKENS, _REVOKED)


@jwt.token_in_blocklist_loader
def _is_revoked(jwt_header: dict[str, Any], jwt_payload: dict[str, Any]) -> bool:
    """Checked on every request: the token's family must be live, and a refresh token known.

    A family is live while it has tokens and none is revoked; its tokens are purged only
    after they expire, and an access token never outlives the refresh tokens issued with it.
    An access token's user is read in the same query and kept for _load_user, which
    flask-jwt-extended calls next.
    """
    family = jwt_payload.get(FAMILY_CLAIM)
    if not isinstance(family, str):
        return True
    if jwt_payload["type"] == "access":
        caller = db.session.execute(
            _CALLER, {"username": jwt_payload["sub"], "family": family}
        ).first()
        if caller is not None:
            g.token_user, total, revoked = caller
            return bool(total == 0 or revoked > 0)
    # No such active user (_load_user refuses it next), or a refresh token.
    total, revoked = db.session.execute(_STATE, {"family": family}).one()
    if total == 0 or revoked > 0:
        return True
    if jwt_payload["type"] == "refresh":
        known = select(RefreshToken.id).where(RefreshToken.jti == jwt_payload["jti"])
        return db.session.scalar(known) is None
    return False


@jwt.user_lookup_loader
def _load_user(jwt_header: dict[str, Any], jwt_payload: dict[str, Any]) -> User | None:
    """The token's user; None (so 401) once it is deleted or disabled."""
    if (user := g.pop("token_user", None)) is not None:
        return cast(User, user)
    return db.session.scalar(_USER, {"username": jwt_payload["sub"]})


# flask-jwt-extended answers its errors with its own JSON, from Flask error handlers where
# raising would give a 500: each loader returns the 401 problem response itself.
def _refuse(detail: str, error: str | None = "invalid_token") -> Response:
    return problem_for_http_exception(unauthorized(detail, error))


@jwt.unauthorized_loader
def _missing(reason: str) -> Response:
    return _refuse(f"A bearer token is required ({reason}).", error=None)


@jwt.invalid_token_loader
def _invalid(reason: str) -> Response:
    return _refuse(f"The token is not valid: {reason.rstrip('.')}.")


def _refusing(detail: str) -> Callable[[dict[str, Any], dict[str, Any]], Response]:
    return lambda jwt_header, jwt_payload: _refuse(detail)


# The refusals of a token that decoded, each with what it says.
for loader, detail in [
    (jwt.expired_token_loader, "The token has expired."),
    (jwt.revoked_token_loader, "The token has been revoked."),
    (jwt.needs_fresh_token_loader, "A fresh token (from a login, not a refresh) is required."),
    (jwt.user_lookup_error_loader, "The token's user does not exist or is disabled."),
    (jwt.token_verification_failed_loader, "The token's claims were refused."),
]:
    loader(_refusing(detail))
