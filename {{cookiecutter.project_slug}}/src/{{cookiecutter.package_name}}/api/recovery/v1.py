"""Codes sent by mail, version 1, under /api/auth/v1: ask for a password reset, use the code,
ask for an address verification code, and use it. Only the asking for verification takes a
login: elsewhere the code in the mail proves who is asking.

Asking for a reset answers 202 with the same body and headers whatever the account, and does
the same work: the name goes to the background, where recovery.request_reset looks it up.
"""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from werkzeug.exceptions import ServiceUnavailable

from ... import mail, tasks
from ...auth import require_scopes
from ...auth.token import accounts, recovery
from ...auth.token.caller import caller
from ...auth.token.routes import (
    RECOVERY_BLUEPRINT,
    logins_per_address,
    resets_per_address,
    resets_per_login,
)
from ...openapi import Blueprint
from ...validation import line, text

blp = Blueprint(
    RECOVERY_BLUEPRINT,
    __name__,
    url_prefix="/api/auth/v1",
    description="Codes sent by mail: reset a forgotten password, verify an email address.",
)

ACCEPTED = {
    "detail": "If the account exists and has a verified address, a code is on its way to it."
}
CODE = ma.fields.String(required=True, load_only=True, validate=line(100))


class ResetRequestSchema(ma.Schema):
    login = ma.fields.String(
        required=True, validate=line(254), metadata={"description": "A username or an address"}
    )


class AcceptedSchema(ma.Schema):
    detail = ma.fields.String(required=True)


class ResetSchema(ma.Schema):
    code = CODE
    new_password = ma.fields.String(
        required=True, load_only=True, validate=text(1024, min_length=1)
    )


class CodeSchema(ma.Schema):
    code = CODE


def mail_required() -> None:
    if not mail.enabled():
        raise ServiceUnavailable("This server sends no mail (MAIL_URL is not set).")


@blp.route("/password-reset")
class PasswordReset(MethodView):
    @blp.arguments(ResetRequestSchema)
    @blp.response(202, AcceptedSchema)
    @blp.problems(429, 503)
    @resets_per_login
    @resets_per_address
    def post(self, data: dict[str, str]) -> dict[str, str]:
        """Ask for a code to reset a forgotten password, by mail; the answer is the same for
        every account."""
        mail_required()
        tasks.later(recovery.RESET_JOB, data["login"])
        return ACCEPTED


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(ResetSchema)
    @blp.response(204)
    @blp.problems(429, 503)
    @logins_per_address
    def post(self, data: dict[str, Any]) -> None:
        """Set a new password with the mailed code; every session and token of the account
        ends."""
        recovery.reset_password(data["code"], data["new_password"])


@blp.route("/email/verification")
class EmailVerification(MethodView):
    @require_scopes()
    @blp.response(202, AcceptedSchema)
    @blp.problems(403, 404, 503)
    def post(self) -> dict[str, str]:
        """Mail your address a new verification code."""
        mail_required()
        accounts.verify_address(caller(login=True))
        return {"detail": "A code is on its way to your address, if you have one."}


@blp.route("/email/verify")
class EmailVerify(MethodView):
    @blp.arguments(CodeSchema)
    @blp.response(204)
    @blp.problems(429, 503)
    @logins_per_address
    def post(self, data: dict[str, str]) -> None:
        """Verify your address with the code mailed to it."""
        recovery.verify_email(data["code"])
