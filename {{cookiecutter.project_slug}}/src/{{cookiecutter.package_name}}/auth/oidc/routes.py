"""Auth API, version 1, for OIDC: who am I, as this API sees the token (its scopes mapped)."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from ...openapi import Blueprint
from .bearer import SCHEME_NAME, authenticate

blp = Blueprint(
    "auth_v1",
    __name__,
    url_prefix="/api/auth/v1",
    description="The caller of an access token from the identity provider.",
)


class MeSchema(ma.Schema):
    subject = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=[{SCHEME_NAME: []}])
    @blp.response(200, MeSchema)
    @blp.problems(401, 503)
    def get(self) -> dict[str, Any]:
        """Show whom the access token names and the API scopes it grants."""
        identity = authenticate()
        return {
            "subject": identity.subject,
            "username": identity.name,
            "scopes": sorted(identity.scopes),
        }
