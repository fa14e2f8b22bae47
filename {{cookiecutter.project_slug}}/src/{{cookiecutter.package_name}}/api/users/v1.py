"""Users API, version 1: admins (scope users:admin) list, create, change and delete users.

Each change is a call of accounts.py, as `flask users ...` makes it; a refusal there is a 422
naming the field, or a 409 for a conflict (a taken name or address, the last admin).
"""

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ...auth import require_scopes
from ...auth.token import accounts
from ...auth.token.caller import caller
from ...auth.token.models import User
from ...extensions import db
from ...openapi import Blueprint
from ...validation import line
from ..idempotency import idempotent
from ..pagination import LINK_HEADER, Filter, Listing, Page
from .schemas import UserCreateSchema, UserPageSchema, UserSchema, UserUpdateSchema

# Ids are 32-bit on PostgreSQL and MySQL; a larger one in the URL matches no route: 404.
ID_MAX = 2**31 - 1

# By username, on its unique index; a prefix narrows the same range of it.
LISTING = Listing(
    select(User),
    filters={
        "active": Filter(ma.fields.Boolean(), lambda active: User.active == active),
        "username_prefix": Filter(
            ma.fields.String(validate=line(150)),
            lambda prefix: User.username.startswith(prefix, autoescape=True),
        ),
    },
    username=(User.username,),
)

blp = Blueprint(
    "users_v1",
    __name__,
    url_prefix="/api/users/v1",
    description=f"Users, managed by admins (scope {accounts.ADMIN_SCOPE}).",
)


def get_or_404(user_id: int) -> User:
    """The user with this id, or answer 404."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


@blp.route("")
class Users(MethodView):
    @require_scopes(accounts.ADMIN_SCOPE)
    @blp.arguments(LISTING.args, location="query")
    @blp.response(200, UserPageSchema, headers=LINK_HEADER)
    @blp.problems(503)
    def get(self, args: dict[str, Any]) -> tuple[Page, dict[str, str]]:
        """List users by username, a page at a time; filter by state or username prefix."""
        return LISTING(args)

    @require_scopes(accounts.ADMIN_SCOPE)
    @idempotent(blp)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.problems(409, 503)
    def post(self, data: dict[str, Any]) -> tuple[User, dict[str, str]]:
        """Create a user who logs in with the password given (under the password rules)."""
        user = accounts.create_user(**data, actor=caller())
        return user, {"Location": url_for("users_v1.UserItem", user_id=user.id)}


@blp.route(f"/<int(min=1, max={ID_MAX}):user_id>")
class UserItem(MethodView):
    """One user. Writes need the ETag of a GET in If-Match: no change is lost unseen."""

    @require_scopes(accounts.ADMIN_SCOPE)
    @blp.etag
    @blp.response(200, UserSchema)
    @blp.problems(404, 503)
    def get(self, user_id: int) -> User:
        """Get a user."""
        return get_or_404(user_id)

    @require_scopes(accounts.ADMIN_SCOPE)
    @blp.etag
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.problems(404, 409, 503)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a user's email, scopes or state; disabling ends their sessions at once."""
        user = get_or_404(user_id)
        blp.check_etag(user, UserSchema)
        return accounts.update_user(user, **data, actor=caller())

    @require_scopes(accounts.ADMIN_SCOPE)
    @blp.etag
    @blp.response(204)
    @blp.problems(404, 409, 503)
    def delete(self, user_id: int) -> None:
        """Delete a user and every session of theirs (never the last active admin)."""
        user = get_or_404(user_id)
        blp.check_etag(user, UserSchema)
        accounts.delete_user(user, actor=caller())
