"""auth = oidc: bearer tokens from your OpenID Connect provider, checked as a resource server.

Flask-OIDC (resource-server mode) and Authlib do the protocol work; OIDC_TOKEN_VALIDATION picks
how a token is checked: "introspection" asks the provider (RFC 7662, opaque tokens too) and "jwt"
verifies JWT access tokens here against the provider's keys; either way a token found good is
remembered for OIDC_CACHE_TTL_SECONDS at most. The provider is first contacted by a request that
needs it, so the app starts while it is down; while it is down, slow or confused, such requests
get 503 within OIDC_TIMEOUT_SECONDS.
bearer.py checks each request's token; claims.py finds the caller and its scopes in the claims.
"""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask

from ...config import RELAXED_ENVIRONMENTS, Setting, Settings
from ..base import DocsLogin
from . import routes
from .bearer import EXTENSION, RULES, SCHEME_NAME, Validator, authenticate
from .claims import DEFAULT_SCOPE_CLAIMS, ScopeRules
from .idp import IdentityProvider
from .introspection import IntrospectionValidator
from .jwt import JWTValidator

SECURITY_SCHEME: dict[str, Any] = {
    "type": "openIdConnect",
    "openIdConnectUrl": "/.well-known/openid-configuration",
    "description": "An access token from the OpenID provider named by OIDC_ISSUER, sent as "
    "'Authorization: Bearer <token>'.",
}
SETTINGS: Settings = {
    "OIDC_ISSUER": Setting("str", ""),
    "OIDC_CLIENT_ID": Setting("str", ""),
    "OIDC_CLIENT_SECRET": Setting("str", ""),
    "OIDC_CLIENT_SECRETS": Setting("str", ""),
    "OIDC_AUDIENCE": Setting("str", ""),
    "OIDC_TOKEN_VALIDATION": Setting("str", "introspection"),
    "OIDC_INTROSPECTION_AUTH_METHOD": Setting("str", "client_secret_post"),
    "OIDC_TIMEOUT_SECONDS": Setting("float", 5.0),
    "OIDC_CACHE_TTL_SECONDS": Setting("int", 60),
    "OIDC_SCOPE_CLAIMS": Setting("str", ",".join(DEFAULT_SCOPE_CLAIMS)),
    "OIDC_SCOPE_MAP": Setting("str", ""),
    # A public client of the provider for /docs (authorization code with PKCE, no secret);
    # empty: /docs offers no login.
    "OIDC_DOCS_CLIENT_ID": Setting("str", ""),
}
BLUEPRINTS: tuple[Blueprint, ...] = (routes.blp,)
# The provider's tokens are the only kind.
OTHER_SCHEMES: dict[str, dict[str, Any]] = {}

__all__ = [
    "BLUEPRINTS",
    "EXTENSION",
    "OTHER_SCHEMES",
    "RULES",
    "SCHEME_NAME",
    "SETTINGS",
    "authenticate",
    "docs_login",
    "init_app",
    "security_scheme",
]

VALIDATIONS = ("introspection", "jwt")
AUTH_METHODS = ("client_secret_post", "client_secret_basic")


def init_app(app: Flask) -> None:
    """Check the OIDC settings and prepare the validator; the provider is not contacted yet."""
    config = app.config
    secrets = client_secrets(config)
    config.update({f"OIDC_{key.upper()}": value for key, value in secrets.items()})
    config.update(OIDC_CLIENT_SECRETS={"web": secrets}, OIDC_RESOURCE_SERVER_ONLY=True)
    check_settings(config)
    app.extensions[RULES] = ScopeRules.from_settings(
        config["OIDC_SCOPE_CLAIMS"], config["OIDC_SCOPE_MAP"], config["OIDC_AUDIENCE"]
    )
    needed = ["OIDC_ISSUER"]
    if config["OIDC_TOKEN_VALIDATION"] == "introspection":  # we authenticate to the provider
        needed += ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]
    if missing := [name for name in needed if not config[name]]:
        message = f"{', '.join(missing)} not set, nor in OIDC_CLIENT_SECRETS"
        if config["APP_ENV"] not in RELAXED_ENVIRONMENTS:
            raise RuntimeError(f"{message}: no token can be checked (APP_ENV={config['APP_ENV']})")
        app.logger.warning("%s: protected routes will answer 503", message)
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = create_validator(app)


def check_settings(config: Any) -> None:
    """Stop start-up on a setting no request could work with, naming it."""
    for name, ok, expected in [
        ("OIDC_TOKEN_VALIDATION", config["OIDC_TOKEN_VALIDATION"] in VALIDATIONS, VALIDATIONS),
        (
            "OIDC_INTROSPECTION_AUTH_METHOD",
            config["OIDC_INTROSPECTION_AUTH_METHOD"] in AUTH_METHODS,
            AUTH_METHODS,
        ),
        ("OIDC_TIMEOUT_SECONDS", config["OIDC_TIMEOUT_SECONDS"] > 0, "above 0"),
        ("OIDC_CACHE_TTL_SECONDS", config["OIDC_CACHE_TTL_SECONDS"] >= 0, "0 or more"),
    ]:
        if not ok:
            raise RuntimeError(f"{name} must be {expected}, not {config[name]!r}")


def create_validator(app: Flask, idp: IdentityProvider | None = None) -> Validator:
    """The validator OIDC_TOKEN_VALIDATION names, with empty caches, asking idp (by default a new
    view of the issuer; an app has only one)."""
    config = app.config
    idp = idp or IdentityProvider(app, timeout=config["OIDC_TIMEOUT_SECONDS"])
    if config["OIDC_TOKEN_VALIDATION"] == "introspection":
        return IntrospectionValidator(
            idp, config["OIDC_AUDIENCE"], ttl=config["OIDC_CACHE_TTL_SECONDS"]
        )
    if not config["OIDC_AUDIENCE"]:
        app.logger.warning("OIDC_AUDIENCE is not set: tokens for any API of the issuer pass")
    # OIDC_CLOCK_SKEW is Flask-OIDC's setting (default 60 s) for exp/nbf/iat.
    return JWTValidator(
        idp,
        config["OIDC_AUDIENCE"],
        leeway=config["OIDC_CLOCK_SKEW"],
        ttl=config["OIDC_CACHE_TTL_SECONDS"],
    )


def client_secrets(config: Any) -> dict[str, str]:
    """issuer, client_id and client_secret: each OIDC_* variable set, else the secrets file's."""
    source = config["OIDC_CLIENT_SECRETS"]
    from_file: dict[str, Any] = {}
    if isinstance(source, dict):
        from_file = next(iter(source.values()), {})
    elif source:
        try:
            # Flask-OIDC's format: {"web": {"issuer": ..., "client_id": ..., "client_secret": ...}}
            from_file = next(iter(json.loads(Path(source).read_text()).values()))
        except (OSError, ValueError, AttributeError, StopIteration) as error:
            raise RuntimeError(f"OIDC_CLIENT_SECRETS: cannot read {source}: {error}") from None
    keys = ("issuer", "client_id", "client_secret")
    return {key: config[f"OIDC_{key.upper()}"] or str(from_file.get(key, "")) for key in keys}


def docs_login(app: Flask) -> DocsLogin:
    """/docs reads the provider's discovery document and, with OIDC_DOCS_CLIENT_ID, logs in by
    authorization code with PKCE, then asks the token endpoint: both from the browser."""
    urls = (app.config["OIDC_ISSUER"], security_scheme(app)["openIdConnectUrl"])
    origins = sorted({f"{url.scheme}://{url.netloc}" for url in map(urlsplit, urls) if url.netloc})
    client_id = app.config["OIDC_DOCS_CLIENT_ID"]
    init_oauth = {"clientId": client_id, "usePkceWithAuthorizationCodeGrant": True}
    return DocsLogin(init_oauth if client_id else None, tuple(origins))


def security_scheme(app: Flask) -> dict[str, Any]:
    """SECURITY_SCHEME pointing at this app's provider: OpenAPI wants the discovery URL itself."""
    url = app.config.get("OIDC_SERVER_METADATA_URL") or SECURITY_SCHEME["openIdConnectUrl"]
    return {**SECURITY_SCHEME, "openIdConnectUrl": url}
