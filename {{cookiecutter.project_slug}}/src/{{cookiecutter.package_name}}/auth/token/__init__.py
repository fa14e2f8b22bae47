"""auth = token: local users log in with a password for JWT access and refresh tokens.

flask-jwt-extended makes and checks the tokens (tokens.py), argon2 hashes the passwords
(passwords.py), rate limits slow password guessing (throttle.py), and accounts.py decides what
an account change does, for the users API (api/users), your own account's routes (api/account)
and `flask users` / `flask tokens` (cli.py). Codes sent by mail reset a password or verify an
address (recovery.py), and let people in by sign-up or invitation (registration.py).
"""

from typing import Any

from flask import Blueprint, Flask, Response

from ... import mail, tasks
from ...config import Settings
from ...errors import problem
from ..base import DocsLogin
from ..cache import TokenCache
from . import cli, recovery, registration, routes, throttle
from .accounts import AccountError
from .pats import PAT_SCHEME, PAT_SCHEME_NAME
from .settings import TOKEN_SETTINGS, configure_jwt
from .tokens import CHECKED, SCHEME_NAME, SECURITY_SCHEME, authenticate, jwt

__all__ = [
    "BLUEPRINTS",
    "OTHER_SCHEMES",
    "SCHEME_NAME",
    "SETTINGS",
    "authenticate",
    "docs_login",
    "init_app",
    "security_scheme",
]

BLUEPRINTS: tuple[Blueprint, ...] = (routes.blp,)
# The token backend's settings and its mail's: resets and verifications are sent by mail.
SETTINGS: Settings = {**TOKEN_SETTINGS, **mail.SETTINGS}
# Besides access tokens, personal access tokens: /docs' Authorize takes one as it is.
OTHER_SCHEMES: dict[str, dict[str, Any]] = {PAT_SCHEME_NAME: PAT_SCHEME}


def security_scheme(app: Flask) -> dict[str, Any]:
    """HTTP bearer with JWTs, the same for every app."""
    return SECURITY_SCHEME


def docs_login(app: Flask) -> DocsLogin:
    """/docs logs in through the password flow of the security scheme: on this API only."""
    return DocsLogin()


def init_app(app: Flask) -> None:
    """Set up the token and rate-limit extensions and add the CLI commands."""
    configure_jwt(app.config)
    jwt.init_app(app)
    app.extensions[CHECKED] = TokenCache(app.config["TOKEN_CACHE_TTL_SECONDS"])
    throttle.init_app(app)
    app.register_error_handler(AccountError, refused)
    mail.init_app(app)
    tasks.register(app, recovery.RESET_JOB, recovery.request_reset, retry_on=mail.TEMPORARY)
    registration.init_app(app)
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.tokens)


def refused(error: AccountError) -> Response:
    """An account change refused: 409 for a conflict with the current state, else 422 naming
    the field, as a refused body is."""
    if error.conflict:
        return problem(409, error.message, errors={"json": {error.field: [error.message]}})
    return problem(422, error.message, errors={"json": {error.field: [error.message]}})
