"""Invitations, version 1, under /api/users/v1/invitations: admins (scope users:admin) invite an
address by mail, list the invitations not yet accepted, and withdraw one. The invitee accepts
with the mailed code at /api/auth/v1/invitations/accept (api/registration).
"""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ...auth import require_scopes
from ...auth.token import registration
from ...auth.token.accounts import ADMIN_SCOPE
from ...auth.token.caller import caller
from ...auth.token.models import Registration
from ...openapi import Blueprint
from ...validation import line
from ..idempotency import idempotent
from ..pagination import LINK_HEADER, Listing, Page, page_schema
from ..users.schemas import SCOPES, email
from ..users.v1 import ID_MAX

# The oldest first; an accepted or withdrawn invitation is gone, an expired one stays until
# `flask tokens purge`.
LISTING = Listing(
    select(Registration).where(Registration.kind == registration.INVITE),
    id=(Registration.id,),
)

blp = Blueprint(
    "invitations_v1",
    __name__,
    url_prefix="/api/users/v1/invitations",
    description=f"Invitations by mail (REGISTRATION=invite), sent by admins ({ADMIN_SCOPE}).",
)


class InvitationCreateSchema(ma.Schema):
    email = email(required=True, allow_none=False)
    scopes = ma.fields.List(
        ma.fields.String(validate=line(100)), load_default=list, metadata=SCOPES
    )


class InvitationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True, attribute="scope_list")
    invited_by = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "The admin's user id"}
    )
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)


InvitationPageSchema = page_schema(InvitationSchema)


@blp.route("")
class Invitations(MethodView):
    @require_scopes(ADMIN_SCOPE)
    @blp.arguments(LISTING.args, location="query")
    @blp.response(200, InvitationPageSchema, headers=LINK_HEADER)
    @blp.problems(503)
    def get(self, args: dict[str, Any]) -> tuple[Page, dict[str, str]]:
        """List the invitations not yet accepted, the oldest first, a page at a time."""
        return LISTING(args)

    @require_scopes(ADMIN_SCOPE)
    @idempotent(blp)
    @blp.arguments(InvitationCreateSchema)
    @blp.response(202, InvitationSchema)
    @blp.problems(403, 409, 503)
    def post(self, data: dict[str, Any]) -> Registration:
        """Invite an address: its code, by mail, lets the invitee choose a username and a
        password, and the account gets the scopes given (your own only)."""
        registration.require(registration.INVITE)
        return registration.invite(data["email"], data["scopes"], caller())


@blp.route(f"/<int(min=1, max={ID_MAX}):invitation_id>")
class InvitationItem(MethodView):
    @require_scopes(ADMIN_SCOPE)
    @blp.response(204)
    @blp.problems(404, 503)
    def delete(self, invitation_id: int) -> None:
        """Withdraw an invitation: its code lets nobody in any more."""
        if not registration.withdraw(invitation_id, caller()):
            raise NotFound("There is no such invitation.")
