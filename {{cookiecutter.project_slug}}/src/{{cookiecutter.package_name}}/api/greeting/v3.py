"""Greeting API, version 3: greets the authenticated caller; any valid token will do."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from ...auth import current_identity, require_scopes
from ...openapi import Blueprint

blp = Blueprint(
    "greeting_v3", __name__, url_prefix="/api/greeting/v3", description="Greetings, version 3."
)


class GreetingV3Schema(ma.Schema):
    text = ma.fields.String(required=True)
    subject = ma.fields.String(required=True)


@blp.route("")
class Greeting(MethodView):
    @require_scopes()
    @blp.response(200, GreetingV3Schema)
    def get(self) -> dict[str, Any]:
        """Greet the caller by the name in its token."""
        identity = current_identity()
        return {"text": f"Hello, {identity.name}!", "subject": identity.subject}
