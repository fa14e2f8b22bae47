"""Your own account, version 1, under /api/auth/v1 beside the login (auth/token/routes.py):
your address, your password, your sessions, and leaving. Any valid token of yours will do;
what needs your password asks for it again, counted against the login rate limit. A change
takes a login: a personal access token, made for a machine, can only read here.

Each change is a call of accounts.py, as an admin's is.
"""

from typing import Any

from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import NotFound

from ...auth import current_identity, require_scopes
from ...auth.token import accounts
from ...auth.token.caller import caller
from ...auth.token.models import RefreshToken, User
from ...auth.token.routes import ACCOUNT_BLUEPRINT, logins_per_address
from ...extensions import db
from ...models import utcnow
from ...openapi import Blueprint
from .schemas import MeSchema, MeUpdateSchema, PasswordChangeSchema, PasswordSchema, SessionSchema

blp = Blueprint(
    ACCOUNT_BLUEPRINT,
    __name__,
    url_prefix="/api/auth/v1",
    description="Your own account: email address, password, sessions.",
)

# A session is a login's refresh family; its newest token (never rotated) says when it was last
# used and by which User-Agent, its oldest when it began.
_FIRST = aliased(RefreshToken)
_BEGAN = (
    select(func.min(_FIRST.created_at))
    .where(_FIRST.family == RefreshToken.family)
    .scalar_subquery()
)
_SESSIONS = (
    select(RefreshToken, _BEGAN)
    .where(RefreshToken.rotated_at.is_(None), RefreshToken.revoked_at.is_(None))
    .order_by(RefreshToken.created_at.desc(), RefreshToken.id.desc())
)


def me_shown(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "scopes": sorted(current_identity().scopes),
    }


@blp.route("/me")
class Me(MethodView):
    @require_scopes()
    @blp.response(200, MeSchema)
    @blp.problems(404, 503)
    def get(self) -> dict[str, Any]:
        """Show your account and the scopes this token grants."""
        return me_shown(caller())

    @require_scopes()
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    @blp.problems(403, 404, 409, 503)
    def patch(self, data: dict[str, Any]) -> dict[str, Any]:
        """Change your email address (null removes it)."""
        user = caller(login=True)
        return me_shown(accounts.update_user(user, email=data["email"], actor=user))

    @require_scopes()
    @blp.arguments(PasswordSchema)
    @blp.response(204)
    @blp.problems(403, 404, 409, 429, 503)
    @logins_per_address
    def delete(self, data: dict[str, str]) -> None:
        """Delete your account, with your password; the last admin cannot."""
        accounts.delete_own_account(caller(login=True), data["password"])


@blp.route("/password")
class Password(MethodView):
    @require_scopes()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.problems(403, 404, 429, 503)
    @logins_per_address
    def post(self, data: dict[str, str]) -> None:
        """Change your password; every other session ends, this one goes on."""
        user, keep = caller(login=True), current_identity().session
        accounts.change_password(user, data["current_password"], data["new_password"], keep)


@blp.route("/sessions")
class Sessions(MethodView):
    @require_scopes()
    @blp.response(200, SessionSchema(many=True))
    @blp.problems(404, 503)
    def get(self) -> list[dict[str, Any]]:
        """List where you are logged in, the most recently used first."""
        user, current = caller(), current_identity().session
        live = _SESSIONS.where(RefreshToken.user_id == user.id, RefreshToken.expires_at > utcnow())
        return [
            {
                "id": token.family,
                "created_at": began,
                "last_used_at": token.created_at,
                "user_agent": token.user_agent,
                "current": token.family == current,
            }
            for token, began in db.session.execute(live)
        ]

    @require_scopes()
    @blp.response(204)
    @blp.problems(403, 404, 503)
    def delete(self) -> None:
        """Log out every other session; this one goes on."""
        accounts.end_user_sessions(caller(login=True), keep=current_identity().session)


@blp.route("/sessions/<uuid:session_id>")
class SessionItem(MethodView):
    @require_scopes()
    @blp.response(204)
    @blp.problems(403, 404, 503)
    def delete(self, session_id: Any) -> None:
        """Log out one of your sessions (this one too, if it is)."""
        if not accounts.end_user_sessions(caller(login=True), only=str(session_id)):
            raise NotFound("You have no such session.")
