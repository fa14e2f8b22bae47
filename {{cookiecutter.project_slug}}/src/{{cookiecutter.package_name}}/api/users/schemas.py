"""Schemas of the users API: create, update (partial), a user as admins see it, a page.
Passwords are load-only: no answer carries one; an address is checked by accounts.set_email."""

from typing import Any

import marshmallow as ma

from ...auth.token.accounts import EMAIL_MAX_LENGTH, USERNAME, USERNAME_RULE
from ...validation import line, text, whole
from ..pagination import page_schema

PASSWORD = text(1024, min_length=1)
SCOPES = {"description": "Scopes granted, e.g. resources:read; an admin grants only their own"}


def email(allow_none: bool = True, **kwargs: Any) -> ma.fields.String:
    """An address (accounts.set_email checks its form); null removes it, where allowed."""
    unique = "Unique whatever its case" + ("; null: none" if allow_none else "")
    return ma.fields.String(
        allow_none=allow_none,
        validate=line(EMAIL_MAX_LENGTH),
        metadata={"format": "email", "description": unique},
        **kwargs,
    )


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    email = email(required=True)
    email_verified = ma.fields.Boolean(
        required=True, metadata={"description": "Proven by a code mailed to it"}
    )
    scopes = ma.fields.Method(
        "scope_list", required=True, metadata={"type": "array", "items": {"type": "string"}}
    )
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)

    def scope_list(self, user: Any) -> list[str]:
        return sorted(user.scope_set)


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(
        required=True,
        validate=whole(USERNAME.pattern, USERNAME_RULE),
    )
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
    email = email(load_default=None)
    scopes = ma.fields.List(
        ma.fields.String(validate=line(100)), load_default=list, metadata=SCOPES
    )


class UserUpdateSchema(ma.Schema):
    email = email()
    scopes = ma.fields.List(ma.fields.String(validate=line(100)), metadata=SCOPES)
    active = ma.fields.Boolean(metadata={"description": "false: disabled, every session ended"})


UserPageSchema = page_schema(UserSchema)
