"""A small but real OpenID provider for the tests, built on Authlib's authorization server.

It serves real HTTP on 127.0.0.1: discovery, JWKS, a token endpoint (client-credentials, device
code, refresh-token and authorization-code grants), device authorization (RFC 8628), a login page
for the authorization-code flow with PKCE (code_flow.py) and introspection (RFC 7662). Each
client-credentials client stands for one caller: its tokens carry the client's subject and scopes,
opaque or as RS256 JWTs, and any claim can be overridden (a wrong audience or issuer, an expiry in
the past). `device_client` is a public client for the device flow: a user approves its code at
/device over HTTP, as a browser would (approve()), and its tokens name that user. `docs_client`
is a public client for a browser (/docs): it signs a user in at /authorize and may be sent back to
the redirect URIs a test adds to it. Browsers on any origin may call it (CORS). Tests steer it:
revoke a token, rotate the signing key, count the calls per endpoint, make it fail: stopped
("down"), silent ("hanging") or "garbage", or behave like some real providers do: no "sub" in
client-credentials tokens (machine_subject=False), introspection refusing JWTs with 400
unsupported_token_type (introspect_jwts=False).
"""

import hmac
import itertools
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    DEVICE_CODE_GRANT_TYPE,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from flask import Flask, Response, jsonify, request
from flask_cors import CORS
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import BaseWSGIServer, make_server

from .code_flow import register_code_flow

Mode = Literal["up", "hanging", "garbage"]
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
HANG_SECONDS = 30  # a "hanging" provider answers after this long, or when stopped or reset
# Seconds between polls of the device flow (RFC 8628's default is 5; a JSON number, so a fraction
# of a second is valid and keeps the client's tests short).
DEVICE_INTERVAL = 0.2
API_SCOPES = ("resources:read", "resources:write")


@dataclass
class Client(ClientMixin):
    """A registered client; with the client-credentials grant, also the caller its tokens name."""

    client_id: str
    client_secret: str
    subject: str
    scopes: frozenset[str] = frozenset()
    token_format: Literal["opaque", "jwt"] = "opaque"
    expires_in: int = 300
    claims: dict[str, Any] = field(default_factory=dict)  # overrides, e.g. {"aud": "other"}
    auth_methods: tuple[str, ...] = AUTH_METHODS
    grant_types: tuple[str, ...] = ("client_credentials",)
    redirect_uris: set[str] = field(default_factory=set)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class Token(TokenMixin):
    """An issued access token and the claims introspection reports for it."""

    access_token: str
    client: Client
    claims: dict[str, Any]
    revoked: bool = False
    refresh_token: str | None = None

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return str(self.claims["scope"])

    def get_expires_in(self) -> int:
        return int(self.claims["exp"] - self.claims["iat"])

    def is_expired(self) -> bool:
        return bool(self.claims["exp"] <= time.time())

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> None:
        return None

    def get_client(self) -> Client:
        return self.client


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class UnsupportedTokenType(OAuth2Error):
    """What some providers answer when asked to introspect a JWT access token."""

    error = "unsupported_token_type"
    status_code = 400


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def __init__(self, provider: "OIDCProvider") -> None:
        super().__init__()
        self.provider = provider

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        if not self.provider.introspect_jwts and token_string.count(".") == 2:
            raise UnsupportedTokenType()
        return self.provider.tokens.get(token_string)

    def check_permission(self, token: Token, client: Client, request: Any) -> bool:
        return client.client_id == self.provider.api_client.client_id

    def introspect_token(self, token: Token) -> dict[str, Any]:
        return {"active": True, "token_type": "Bearer", **token.claims}


class OIDCProvider:
    """The provider and its server thread; start() picks a free port, stop() closes it."""

    def __init__(self, audience: str = "test-api") -> None:
        self.audience = audience
        self.api_client = Client("test-api-client", secrets.token_urlsafe(16), "test-api")
        self.clients: dict[str, Client] = {self.api_client.client_id: self.api_client}
        self.device_client = Client(
            "test-cli",
            "",
            "",
            frozenset(API_SCOPES),
            auth_methods=("none",),
            grant_types=(DEVICE_CODE_GRANT_TYPE, "refresh_token"),
        )
        self.clients[self.device_client.client_id] = self.device_client
        self.docs_client = Client(
            "test-docs",
            "",
            "",
            frozenset(API_SCOPES),
            auth_methods=("none",),
            grant_types=("authorization_code",),
        )
        self.clients[self.docs_client.client_id] = self.docs_client
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.devices: dict[str, DeviceCredentialDict] = {}  # device_code -> its request
        self.approvals: dict[str, tuple[str, bool]] = {}  # user_code -> (subject, approved)
        self.machine_subject = True
        self.introspect_jwts = True
        self.calls: Counter[str] = Counter()
        self.mode: Mode = "up"
        self._initial_key = self._new_key()
        self.signing_key = self._initial_key
        self.published = [self._initial_key]
        self._ids = itertools.count(1)
        self._release = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = self._create_app()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- steering, for the tests

    def start(self) -> None:
        """Serve on self.port (a free one the first time; the same one after stop())."""
        self._release.clear()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.start()

    def stop(self) -> None:
        """Stop serving: connections are refused until start()."""
        self._release.set()
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def reset(self) -> None:
        """Healthy again: serving, answering at once, the first key only, no calls counted."""
        self._release.set()
        if self._server is None:
            self.start()
        self._release.clear()
        self.mode = "up"
        self.calls.clear()
        self.api_client.auth_methods = AUTH_METHODS
        self.machine_subject = self.introspect_jwts = True
        self.signing_key = self._initial_key
        self.published = [self._initial_key]

    def rotate_key(self, publish: bool = True) -> None:
        """Sign new tokens with a new key, published in the JWKS or not (yet)."""
        self.signing_key = self._new_key()
        if publish:
            self.published.append(self.signing_key)

    def approve(self, user_code: str, subject: str = "alice", approved: bool = True) -> None:
        """Do what the user does in a browser: enter the code at /device, then allow or deny."""
        decision = {"user_code": user_code, "subject": subject, "approved": str(approved)}
        requests.post(self.issuer + "/device", data=decision, timeout=10).raise_for_status()

    def revoke(self, access_token: str) -> None:
        self.tokens[access_token].revoked = True

    def register(self, subject: str, scopes: tuple[str, ...] = (), **options: Any) -> Client:
        """A new client whose tokens name subject and carry at most these scopes."""
        client_id = f"{subject}-{next(self._ids)}"
        client = Client(client_id, secrets.token_urlsafe(16), subject, frozenset(scopes), **options)
        self.clients[client_id] = client
        return client

    def fetch_token(self, client: Client) -> str:
        """Get an access token the way a real client does: over HTTP, client-credentials grant."""
        scope = " ".join(sorted(client.scopes)) or None
        with OAuth2Session(client.client_id, client.client_secret, scope=scope) as session:
            token = session.fetch_token(self.issuer + "/token", grant_type="client_credentials")
        return str(token["access_token"])

    # -- the provider itself

    @staticmethod
    def _new_key() -> RSAKey:
        return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: str | None = None,
        scope: str | None = None,
        include_refresh_token: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Authlib's token generator hook: the token, opaque or JWT, and its recorded claims.

        user is the subject who approved a device code (or whose refresh token it is).
        """
        subject = user or client.subject
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "client_id": client.client_id,
            "preferred_username": subject,
            "scope": client.get_allowed_scope(scope),
            "iat": now,
            "exp": now + client.expires_in,
            "jti": secrets.token_hex(8),
            **client.claims,
        }
        if grant_type == "client_credentials" and not self.machine_subject:
            del claims["sub"], claims["preferred_username"]
        if client.token_format == "jwt":
            header = {"alg": "RS256", "typ": "at+jwt", "kid": self.signing_key.kid}
            access_token = jwt.encode(header, claims, self.signing_key)
        else:
            access_token = secrets.token_urlsafe(32)
        token = Token(access_token, client, claims)
        self.tokens[access_token] = token
        answer = {"token_type": "Bearer", "access_token": access_token, "expires_in": 300}
        if include_refresh_token:
            token.refresh_token = answer["refresh_token"] = secrets.token_urlsafe(32)
            self.refresh_tokens[token.refresh_token] = token
        return answer

    def _create_app(self) -> Flask:
        app = Flask(__name__)
        server = AuthorizationServer(app, query_client=self.clients.get, save_token=_recorded)
        server.register_token_generator("default", self._generate_token)
        server.register_grant(ClientCredentialsGrant)
        server.register_endpoint(Introspection(self))
        self._register_device_flow(server)
        register_code_flow(server, app)
        CORS(app)  # as providers do for the web origins of their clients; here, every origin

        @app.before_request
        def misbehave() -> Response | None:
            self.calls[request.endpoint or "unknown"] += 1
            if self.mode == "hanging":
                self._release.wait(HANG_SECONDS)
            if self.mode == "garbage":
                return Response("<html>Service temporarily unavailable</html>", 200)
            return None

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=self.issuer + "/authorize",
                token_endpoint=self.issuer + "/token",
                introspection_endpoint=self.issuer + "/introspect",
                jwks_uri=self.issuer + "/jwks",
                device_authorization_endpoint=self.issuer + "/device_authorization",
                grant_types_supported=[
                    "authorization_code",
                    "client_credentials",
                    DEVICE_CODE_GRANT_TYPE,
                    "refresh_token",
                ],
                token_endpoint_auth_methods_supported=AUTH_METHODS,
                introspection_endpoint_auth_methods_supported=AUTH_METHODS,
                id_token_signing_alg_values_supported=["RS256"],
                response_types_supported=["code"],
                code_challenge_methods_supported=["S256"],
                scopes_supported=["openid", *API_SCOPES],
                subject_types_supported=["public"],
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify(keys=[key.as_dict(private=False) for key in self.published])

        @app.post("/token")
        def token() -> Response:
            return server.create_token_response()

        @app.post("/introspect")
        def introspection() -> Response:
            return server.create_endpoint_response("introspection")

        @app.post("/device_authorization")
        def device_authorization() -> Response:
            return server.create_endpoint_response("device_authorization")

        @app.get("/device")
        def device_page() -> Response:
            return Response("Enter the code your device shows.", mimetype="text/plain")

        @app.post("/device")
        def device_decision() -> Response:
            """The user's answer to a device code: allowed or denied, as subject."""
            user_code = request.form["user_code"]
            if not any(d["user_code"] == user_code for d in self.devices.values()):
                return Response("Unknown code.", 404, mimetype="text/plain")
            approved = request.form.get("approved", "True") == "True"
            self.approvals[user_code] = (request.form.get("subject", "alice"), approved)
            return Response("Done: return to your device.", mimetype="text/plain")

        return app

    def _register_device_flow(self, server: AuthorizationServer) -> None:
        """RFC 8628 and refresh tokens, on this provider's records."""
        provider = self

        class DeviceAuthorization(DeviceAuthorizationEndpoint):
            CLIENT_AUTH_METHODS = ["none"]
            INTERVAL = DEVICE_INTERVAL

            def get_verification_uri(self) -> str:
                return provider.issuer + "/device"

            def save_device_credential(
                self, client_id: str, scope: str | None, data: dict[str, Any]
            ) -> None:
                expires_at = time.time() + data["expires_in"]
                provider.devices[data["device_code"]] = DeviceCredentialDict(
                    client_id=client_id, scope=scope, expires_at=expires_at, **data
                )

        class DeviceCode(DeviceCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

            def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
                return provider.devices.get(device_code)

            def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
                return provider.approvals.get(user_code)

            def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
                return False

        class RefreshToken(grants.RefreshTokenGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS, "none"]
            INCLUDE_NEW_REFRESH_TOKEN = True  # rotated, as most providers do

            def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
                return provider.refresh_tokens.get(refresh_token)

            def authenticate_user(self, token: Token) -> str:
                return str(token.claims.get("sub") or token.client.subject)

            def revoke_old_credential(self, token: Token) -> None:
                provider.refresh_tokens.pop(token.refresh_token or "", None)

        server.register_endpoint(DeviceAuthorization)
        server.register_grant(DeviceCode)
        server.register_grant(RefreshToken)


def _recorded(token: dict[str, Any], request: Any) -> None:
    """Authlib's save_token hook: nothing left to do, _generate_token recorded the token."""
