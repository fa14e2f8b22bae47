"""Auth API, version 1: log in, refresh, log out (your own account: account.py)."""

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import get_current_user, get_jwt, verify_jwt_in_request
from sqlalchemy import select

from ...extensions import db
from ...middleware import accepts_form
from ...openapi import Blueprint
from ...validation import line, text
from ..base import unauthorized
from . import events, throttle
from .models import User
from .passwords import hash_password, needs_rehash, verify_password
from .tokens import (
    FAMILY_CLAIM,
    SCHEME_NAME,
    TokenPair,
    issue_tokens,
    revoke_family,
    rotate,
)

BLUEPRINT = "auth_v1"
# The routes of one's own account (api/account) that ask for the password again, and those
# that send or take codes by mail (api/recovery, api/registration).
ACCOUNT_BLUEPRINT = "account_v1"
RECOVERY_BLUEPRINT = "recovery_v1"
REGISTRATION_BLUEPRINT = "registration_v1"
blp = Blueprint(
    BLUEPRINT,
    __name__,
    url_prefix="/api/auth/v1",
    description="Bearer tokens: log in with a password, refresh, log out.",
)

TOO_MANY_LOGINS = "Too many login attempts; try again later."

# Token responses must not be cached (RFC 6749, section 5.1).
NO_STORE = {"Cache-Control": "no-store"}
BEARER: list[dict[str, list[str]]] = [{SCHEME_NAME: []}]


class LoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=line(150))
    password = ma.fields.String(required=True, load_only=True, validate=text(1024, min_length=1))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(
        required=True, metadata={"description": "Send it to /refresh for the next tokens"}
    )
    token_type = ma.fields.String(required=True, metadata={"description": "Always Bearer"})
    expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Seconds until the access token expires"}
    )


class PasswordGrantSchema(ma.Schema):
    """OAuth 2's password grant (RFC 6749, 4.3.2); other parameters are ignored, as it requires
    (Swagger UI sends an empty client_id and secret)."""

    class Meta:
        unknown = ma.EXCLUDE

    grant_type = ma.fields.String(required=True, validate=ma.validate.OneOf(["password"]))
    username = ma.fields.String(required=True, validate=line(150))
    password = ma.fields.String(required=True, load_only=True, validate=text(1024, min_length=1))
    scope = ma.fields.String(
        validate=text(1024), metadata={"description": "Space-separated; empty: all the user's"}
    )


class AccessTokenSchema(ma.Schema):
    """RFC 6749's token response, without the refresh token: /docs keeps no long-lived secret."""

    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"description": "Always Bearer"})
    expires_in = ma.fields.Integer(required=True)
    scope = ma.fields.String(required=True, metadata={"description": "The scopes granted"})


def login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def username_key() -> str:
    """Count attempts per username, whatever the address, against password spraying."""
    return f"username:{body_field('username')}"


def login_key() -> str:
    """Count reset requests per username or email address, whatever the client's address."""
    return f"login:{body_field('login')}"


def body_field(name: str) -> str:
    body = request.get_json(silent=True) if request.is_json else request.form
    return str(body.get(name) if isinstance(body, dict) else None).casefold()


# Counted across /login and /token: either route spends the same allowance.
logins_per_username = throttle.limit(
    login_rate_limit, "logins-per-username", TOO_MANY_LOGINS, key=username_key
)
logins_per_address = throttle.limit(login_rate_limit, "logins-per-address", TOO_MANY_LOGINS)


def reset_rate_limit() -> str:
    return str(current_app.config["PASSWORD_RESET_RATE_LIMIT"])


TOO_MANY_RESETS = "Too many reset requests; try again later."
resets_per_login = throttle.limit(
    reset_rate_limit, "resets-per-login", TOO_MANY_RESETS, key=login_key
)
resets_per_address = throttle.limit(reset_rate_limit, "resets-per-address", TOO_MANY_RESETS)


def sign_up_rate_limit() -> str:
    return str(current_app.config["SIGN_UP_RATE_LIMIT"])


def email_key() -> str:
    """Count sign-ups per address signed up with, whatever the client's address."""
    return f"email:{body_field('email')}"


TOO_MANY_SIGN_UPS = "Too many sign-ups; try again later."
sign_ups_per_email = throttle.limit(
    sign_up_rate_limit, "sign-ups-per-email", TOO_MANY_SIGN_UPS, key=email_key
)
sign_ups_per_address = throttle.limit(sign_up_rate_limit, "sign-ups-per-address", TOO_MANY_SIGN_UPS)


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.problems(401, 429, 503)
    @logins_per_username
    @logins_per_address
    def post(self, credentials: dict[str, str]) -> tuple[TokenPair, dict[str, str]]:
        """Log in: exchange a username and password for an access and a refresh token."""
        return log_in(credentials["username"], credentials["password"]), NO_STORE


@blp.route("/token")
@accepts_form
class Token(MethodView):
    @blp.arguments(PasswordGrantSchema, location="form")
    @blp.response(200, AccessTokenSchema)
    @blp.problems(401, 429, 503)
    @logins_per_username
    @logins_per_address
    def post(self, grant: dict[str, str]) -> tuple[TokenPair, dict[str, str]]:
        """Log in as OAuth 2's password grant does (the tokenUrl of /docs): an access token only."""
        requested = frozenset(grant.get("scope", "").split())
        return log_in(grant["username"], grant["password"], requested or None), NO_STORE


def log_in(username: str, password: str, scopes: frozenset[str] | None = None) -> TokenPair:
    """Tokens for the user with this password, carrying the scopes asked for that the user
    has (all the user's when none are asked for); 401 otherwise."""
    user = db.session.scalar(select(User).where(User.username == username))
    # The password is checked even for an unknown user: both take as long to refuse.
    password_hash = user.password_hash if user else None
    verified = verify_password(password_hash, password)
    if not verified or user is None or not user.active:
        events.record(events.LOGIN_FAILED, user)
        raise unauthorized("Wrong username or password.", error=None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    tokens = issue_tokens(user, scopes=None if scopes is None else scopes & user.scope_set)
    db.session.commit()
    events.record(events.LOGIN_SUCCEEDED, user, user)
    return tokens


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, TokenSchema)
    @blp.problems(401, 503)
    def post(self) -> tuple[TokenPair, dict[str, str]]:
        """Refresh: exchange the refresh token (as bearer token) for new tokens; it is used up."""
        verify_jwt_in_request(refresh=True)
        return rotate(get_jwt(), get_current_user()), NO_STORE


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    @blp.problems(401, 503)
    def post(self) -> None:
        """Log out: revoke this access token and every refresh token of its login."""
        verify_jwt_in_request()
        revoke_family(get_jwt()[FAMILY_CLAIM])
        db.session.commit()
