"""The test provider's authorization-code grant with PKCE, for a public client in a browser (/docs).

/authorize shows a login form, as a provider's login page does; a user who signs in is sent back
to the client's registered redirect URI with a code, which the client exchanges at /token with its
PKCE verifier and no secret. Authlib does the protocol work (AuthorizationCodeGrant, CodeChallenge);
here only what the provider records: the users' passwords and the codes it issued.
"""

import hmac
import time
from dataclasses import dataclass
from html import escape
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, request

# Who may sign in on the login page, and with what password.
USERS = {"alice": "alice-password"}
CODE_SECONDS = 60


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_code_challenge(self) -> str:
        return self.code_challenge

    def get_code_challenge_method(self) -> str:
        return self.code_challenge_method


class S256Required(CodeChallenge):
    """PKCE on every authorization request, S256 only (RFC 9700): a client that leaves it out
    is refused, so a login that works proves the client sent it."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        super().validate_code_challenge(grant, redirect_uri)


def register_code_flow(server: AuthorizationServer, app: Flask) -> None:
    """The grant on the provider's server and the login page at /authorize on its app."""
    codes: dict[str, AuthorizationCode] = {}

    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            payload = request.payload
            codes[code] = AuthorizationCode(
                code,
                request.client.client_id,
                payload.redirect_uri,
                request.client.get_allowed_scope(payload.scope),
                request.user,
                payload.data["code_challenge"],
                payload.data.get("code_challenge_method", "plain"),
                time.time() + CODE_SECONDS,
            )

        def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
            found = codes.get(code)
            if found and found.client_id == client.client_id and found.expires_at > time.time():
                return found
            return None

        def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
            return authorization_code.subject

    server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        """The login page; signed in, back to the client with a code."""
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return Response(escape(str(error.description)), 400, mimetype="text/plain")
        if request.method == "GET":
            return _login_page()
        username = request.form.get("username", "")
        password = USERS.get(username)
        if password is None or not hmac.compare_digest(password, request.form.get("password", "")):
            return _login_page("Wrong username or password.")
        response: Response = server.create_authorization_response(grant_user=username, grant=grant)
        return response


def _login_page(error: str = "") -> Response:
    """A form posting back to this URL (its query holds the authorization request)."""
    message = f'<p role="alert">{escape(error)}</p>' if error else ""
    return Response(
        "<!DOCTYPE html><html lang='en'><head><title>Sign in</title>"
        "<link rel='icon' href='data:,'></head><body>"
        f"<h1>Sign in to the test provider</h1>{message}"
        "<form method='post'>"
        "<label>Username <input name='username' autocomplete='username'></label>"
        "<label>Password <input name='password' type='password'></label>"
        "<button type='submit'>Sign in</button></form></body></html>",
        mimetype="text/html",
    )
