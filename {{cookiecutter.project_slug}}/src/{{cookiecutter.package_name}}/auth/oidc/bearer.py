"""Each request's bearer token, checked by the validator init_app prepared, becomes the caller."""

import re
from typing import Any, Protocol

from flask import current_app, request

from ..base import Identity, idp_unavailable, unauthorized
from .claims import identity
from .idp import IdentityProvider

SCHEME_NAME = "oidc"
EXTENSION = "oidc_resource_server"
RULES = "oidc_scope_rules"
_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)  # RFC 6750 b64token


class Validator(Protocol):
    idp: IdentityProvider

    def validate(self, token: str) -> dict[str, Any]: ...


def authenticate() -> Identity:
    """Return the caller the bearer token names; 401 if it is not valid, 503 if nobody can tell."""
    header = request.headers.get("Authorization")
    if not header:
        raise unauthorized("This route needs a bearer token.", error=None)
    match = _BEARER.fullmatch(header.strip())
    if match is None:
        raise unauthorized("Send the token as 'Authorization: Bearer <token>'.", "invalid_request")
    validator: Validator | None = current_app.extensions[EXTENSION]
    if validator is None:
        raise idp_unavailable("The identity provider is not configured (OIDC_ISSUER).")
    return identity(validator.validate(match.group(1)), current_app.extensions[RULES])
