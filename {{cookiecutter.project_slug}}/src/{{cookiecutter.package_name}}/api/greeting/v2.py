"""Greeting API, version 2: structured, in several languages.

The response contract changed (``message`` became ``text`` beside ``language`` and
``recipient``), so it is a new version; version 1 keeps being served unchanged.
"""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from ...openapi import Blueprint

blp = Blueprint(
    "greeting_v2", __name__, url_prefix="/api/greeting/v2", description="Greetings, version 2."
)

SALUTATIONS = {"en": "Hello", "de": "Hallo", "es": "Hola", "fr": "Bonjour"}


class GreetingV2ArgsSchema(ma.Schema):
    name = ma.fields.String(load_default="World", validate=validate.Length(min=1, max=50))
    language = ma.fields.String(load_default="en", validate=validate.OneOf(sorted(SALUTATIONS)))


class GreetingV2Schema(ma.Schema):
    text = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    recipient = ma.fields.String(required=True)


@blp.route("")
class Greeting(MethodView):
    @blp.arguments(GreetingV2ArgsSchema, location="query")
    @blp.response(200, GreetingV2Schema)
    def get(self, args: dict[str, str]) -> dict[str, Any]:
        """Greet someone in the language asked for."""
        language = args["language"]
        return {
            "text": f"{SALUTATIONS[language]}, {args['name']}!",
            "language": language,
            "recipient": args["name"],
        }
