"""Schemas of your own account's routes: you, your address, your password, a session."""

import marshmallow as ma

from ..users.schemas import PASSWORD, email


class MeSchema(ma.Schema):
    username = ma.fields.String(required=True)
    email = email(required=True)
    email_verified = ma.fields.Boolean(required=True)
    scopes = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "What this token grants"}
    )


class MeUpdateSchema(ma.Schema):
    email = email(required=True)


class PasswordSchema(ma.Schema):
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
    new_password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class SessionSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "The login's refresh family"})
    created_at = ma.fields.DateTime(required=True, metadata={"description": "When logged in"})
    last_used_at = ma.fields.DateTime(
        required=True, metadata={"description": "The last login or refresh"}
    )
    user_agent = ma.fields.String(required=True, allow_none=True)
    current = ma.fields.Boolean(required=True, metadata={"description": "The caller's session"})
