"""A small but real OpenID provider for the tests, built on Authlib's authorization server.

It serves real HTTP on 127.0.0.1: discovery, JWKS, a token endpoint (client-credentials grant)
and introspection (RFC 7662). Each client stands for one caller: its tokens carry the client's
subject and scopes, opaque or as RS256 JWTs, and any claim can be overridden (a wrong audience
or issuer, an expiry in the past). Tests steer it: revoke a token, rotate the signing key, count
the calls per endpoint, or make it fail: stopped ("down"), silent ("hanging") or "garbage".
"""

import hmac
import itertools
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import BaseWSGIServer, make_server

Mode = Literal["up", "hanging", "garbage"]
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
HANG_SECONDS = 30  # a "hanging" provider answers after this long, or when stopped or reset


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

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


@dataclass
class Token(TokenMixin):
    """An issued access token and the claims introspection reports for it."""

    access_token: str
    client: Client
    claims: dict[str, Any]
    revoked: bool = False

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


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def __init__(self, provider: "OIDCProvider") -> None:
        super().__init__()
        self.provider = provider

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
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
        self.tokens: dict[str, Token] = {}
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
        self.signing_key = self._initial_key
        self.published = [self._initial_key]

    def rotate_key(self, publish: bool = True) -> None:
        """Sign new tokens with a new key, published in the JWKS or not (yet)."""
        self.signing_key = self._new_key()
        if publish:
            self.published.append(self.signing_key)

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

    def _generate_token(self, grant_type: str, client: Client, **kwargs: Any) -> dict[str, Any]:
        """Authlib's token generator hook: the token, opaque or JWT, and its recorded claims."""
        scope = client.get_allowed_scope(kwargs.get("scope"))
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": client.subject,
            "aud": self.audience,
            "client_id": client.client_id,
            "preferred_username": client.subject,
            "scope": scope,
            "iat": now,
            "exp": now + client.expires_in,
            "jti": secrets.token_hex(8),
            **client.claims,
        }
        if client.token_format == "jwt":
            header = {"alg": "RS256", "typ": "at+jwt", "kid": self.signing_key.kid}
            access_token = jwt.encode(header, claims, self.signing_key)
        else:
            access_token = secrets.token_urlsafe(32)
        self.tokens[access_token] = Token(access_token, client, claims)
        return {"token_type": "Bearer", "access_token": access_token, "expires_in": 300}

    def _create_app(self) -> Flask:
        app = Flask(__name__)
        server = AuthorizationServer(app, query_client=self.clients.get, save_token=_recorded)
        server.register_token_generator("default", self._generate_token)
        server.register_grant(ClientCredentialsGrant)
        server.register_endpoint(Introspection(self))

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
                token_endpoint=self.issuer + "/token",
                introspection_endpoint=self.issuer + "/introspect",
                jwks_uri=self.issuer + "/jwks",
                grant_types_supported=["client_credentials"],
                token_endpoint_auth_methods_supported=AUTH_METHODS,
                introspection_endpoint_auth_methods_supported=AUTH_METHODS,
                id_token_signing_alg_values_supported=["RS256"],
                response_types_supported=["token"],
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

        return app


def _recorded(token: dict[str, Any], request: Any) -> None:
    """Authlib's save_token hook: nothing left to do, _generate_token recorded the token."""
