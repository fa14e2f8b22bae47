"""Schemas of the personal access tokens API: make one, a token as listed, as made (once)."""

import marshmallow as ma

from ...auth.token.pats import PATTERN
from ...validation import line


class PatCreateSchema(ma.Schema):
    name = ma.fields.String(
        required=True, validate=line(100), metadata={"description": "What the token is for"}
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=line(100)),
        required=True,
        metadata={"description": "Some of your scopes; the token can do no more"},
    )
    expires_in_days = ma.fields.Integer(
        load_default=30,
        validate=ma.validate.Range(min=1),
        metadata={"description": "Lifetime, at most PAT_MAX_DAYS (90 unless configured)"},
    )


class PatSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True, attribute="scope_list")
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)
    last_used_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Updated at most once a minute"}
    )


class PatCreatedSchema(PatSchema):
    token = ma.fields.String(
        required=True,
        metadata={
            "description": "Send as 'Authorization: Bearer <token>'. Shown once: only its hash"
            " is kept.",
            "pattern": PATTERN.pattern,
        },
    )
