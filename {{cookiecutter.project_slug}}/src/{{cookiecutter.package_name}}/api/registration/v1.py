"""Ways in by mail, version 1, under /api/auth/v1: sign up and confirm it with the mailed code
(REGISTRATION=open), or accept an admin's invitation with its code (invite). Each is a call of
registration.py; the way REGISTRATION does not open answers 403.

A sign-up answers 202 with the same body whether or not its name or address is taken: only
the mail to the address says which.
"""

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from ...auth.token import registration
from ...auth.token.accounts import USERNAME, USERNAME_RULE
from ...auth.token.models import User
from ...auth.token.routes import (
    REGISTRATION_BLUEPRINT,
    logins_per_address,
    sign_ups_per_address,
    sign_ups_per_email,
)
from ...openapi import Blueprint
from ...validation import whole
from ..recovery.v1 import CODE, AcceptedSchema, CodeSchema
from ..users.schemas import PASSWORD, UserSchema, email

blp = Blueprint(
    REGISTRATION_BLUEPRINT,
    __name__,
    url_prefix="/api/auth/v1",
    description="Ways in by mail: sign up, or accept an invitation.",
)

SIGNED_UP = {
    "detail": "A code to confirm the sign-up is on its way to the address, unless it has an "
    "account or the username is taken: then a message saying so is."
}
USERNAME_FIELD = ma.fields.String(required=True, validate=whole(USERNAME.pattern, USERNAME_RULE))


class SignUpSchema(ma.Schema):
    username = USERNAME_FIELD
    email = email(required=True, allow_none=False)
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class AcceptSchema(ma.Schema):
    code = CODE
    username = USERNAME_FIELD
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


def created(user: User) -> tuple[User, dict[str, str]]:
    return user, {"Location": url_for("account_v1.Me")}


@blp.route("/signup")
class SignUp(MethodView):
    @blp.arguments(SignUpSchema)
    @blp.response(202, AcceptedSchema)
    @blp.problems(403, 429, 503)
    @sign_ups_per_email
    @sign_ups_per_address
    def post(self, data: dict[str, str]) -> dict[str, str]:
        """Sign up: a code comes by mail to confirm it; the answer is the same for a taken
        username or address."""
        registration.require(registration.OPEN)
        registration.sign_up(**data)
        return SIGNED_UP


@blp.route("/signup/confirm")
class SignUpConfirm(MethodView):
    @blp.arguments(CodeSchema)
    @blp.response(201, UserSchema)
    @blp.problems(403, 409, 429, 503)
    @logins_per_address
    def post(self, data: dict[str, str]) -> tuple[User, dict[str, str]]:
        """Make the account signed up for, with the code mailed to its address; then log in."""
        registration.require(registration.OPEN)
        return created(registration.confirm_sign_up(data["code"]))


@blp.route("/invitations/accept")
class InvitationAccept(MethodView):
    @blp.arguments(AcceptSchema)
    @blp.response(201, UserSchema)
    @blp.problems(403, 409, 429, 503)
    @logins_per_address
    def post(self, data: dict[str, Any]) -> tuple[User, dict[str, str]]:
        """Accept an invitation with its mailed code, choosing a username and a password."""
        registration.require(registration.INVITE)
        return created(registration.accept_invitation(**data))
