"""One authorization interface, whatever the backend: require_scopes() and current_identity().

The backend ({{ cookiecutter.auth }}) lives in its own module; the routes only use this one.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import flask_smorest
from flask import Flask, g

from .base import DocsLogin, Identity, InsufficientScope
from .{{ cookiecutter.auth }} import (
    BLUEPRINTS,
    OTHER_SCHEMES,
    SCHEME_NAME,
    SETTINGS,
    authenticate,
    docs_login,
    security_scheme,
)
from .{{ cookiecutter.auth }} import init_app as init_backend

__all__ = [
    "BLUEPRINTS",
    "SETTINGS",
    "DocsLogin",
    "Identity",
    "current_identity",
    "docs_login",
    "init_app",
    "require_scopes",
]

View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask, api: flask_smorest.Api) -> None:
    """Set the backend up and declare its security schemes in the OpenAPI document."""
    init_backend(app)
    if SCHEME_NAME:
        api.spec.components.security_scheme(SCHEME_NAME, security_scheme(app))
    for name, scheme in OTHER_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)


def require_scopes(*scopes: str) -> Callable[[View], View]:
    """Require a valid token carrying every scope named; no scope: any valid token."""
    required = frozenset(scopes)

    def decorator(view: View) -> View:
        if not SCHEME_NAME:  # a public backend: nothing to check or document
            return view

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = authenticate()
            g.identity = identity
            if missing := required - identity.scopes:
                raise InsufficientScope(missing)
            return view(*args, **kwargs)

        # Each scheme the backend takes is an alternative; OpenAPI 3.0 lists scopes for OAuth 2
        # and OpenID Connect schemes only, so the others' descriptions say what they carry.
        documented: View = flask_smorest.Blueprint.doc(
            security=[{SCHEME_NAME: sorted(required)}, *({name: []} for name in OTHER_SCHEMES)],
            # The shared problem+json responses (openapi.Api); 503: the IdP or database is down.
            responses={"401": "UNAUTHORIZED", "503": "SERVICE_UNAVAILABLE"}
            | ({"403": "FORBIDDEN"} if required else {}),
        )(wrapper)
        return documented

    return decorator


def current_identity() -> Identity:
    """Return the caller of the current request (after require_scopes)."""
    identity: Identity = g.get("identity") or authenticate()
    return identity
