"""Greeting API, version 1: a single message string."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from ...openapi import Blueprint

blp = Blueprint(
    "greeting_v1", __name__, url_prefix="/api/greeting/v1", description="Greetings, version 1."
)


class GreetingV1ArgsSchema(ma.Schema):
    name = ma.fields.String(load_default="World", validate=validate.Length(min=1, max=50))


class GreetingV1Schema(ma.Schema):
    message = ma.fields.String(required=True)


@blp.route("")
class Greeting(MethodView):
    @blp.arguments(GreetingV1ArgsSchema, location="query")
    @blp.response(200, GreetingV1Schema)
    def get(self, args: dict[str, str]) -> dict[str, Any]:
        """Greet someone."""
        return {"message": f"Hello, {args['name']}!"}
