"""The OpenID provider as this API sees it: discovery, introspection and JWKS, each with a timeout.

Flask-OIDC registers the provider as an Authlib client and reads the client secrets; on its own it
sets no timeout (a silent provider hangs the request) and lets network errors become 500s. Here
every call is bounded and every failure becomes a 503 the client may retry.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, current_app
from flask_oidc import OpenIDConnect
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.exceptions import ServiceUnavailable

from ..base import idp_unavailable, unauthorized

# OAuth errors that blame this API's own client, not the caller's token: a misconfiguration.
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


class IdentityProvider:
    """One app's view of its issuer; the discovery document is fetched on first use."""

    def __init__(self, app: Flask, timeout: float) -> None:
        # One OpenIDConnect per app: it keeps the app's client and secrets on itself.
        self.oidc = OpenIDConnect(app)
        self.client: Any = self.oidc.oauth.oidc
        self.client.client_kwargs["default_timeout"] = timeout
        self.issuer: str = app.config["OIDC_ISSUER"]
        self.timeout = timeout

    def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once it can be (a failed fetch is retried next time)."""
        with _unavailable_on_error("discovery"):
            metadata: dict[str, Any] = self.client.load_server_metadata()
        issuer = metadata.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer.rstrip("/"):
            self.client.server_metadata.pop("_loaded_at", None)  # fetch it again next time
            current_app.logger.error(
                "the discovery document names issuer %r, not OIDC_ISSUER=%r", issuer, self.issuer
            )
            raise idp_unavailable("The identity provider's discovery document is not usable.")
        return metadata

    def endpoint(self, name: str) -> str:
        """An endpoint URL named in the discovery document (503 if the provider has none)."""
        url = self.metadata().get(name)
        if not isinstance(url, str) or not url:
            current_app.logger.error("the discovery document has no %s", name)
            raise idp_unavailable(f"The identity provider offers no {name.replace('_', ' ')}.")
        return url

    def introspect(self, token: str) -> dict[str, Any]:
        """Ask the provider about a token (RFC 7662), authenticated as this API's client."""
        url = self.endpoint("introspection_endpoint")
        session = OAuth2Session(
            self.client.client_id,
            self.client.client_secret,
            token_endpoint_auth_method=self.client.client_kwargs["token_endpoint_auth_method"],
            default_timeout=self.timeout,
        )
        with session, _unavailable_on_error("introspection"):
            response = session.introspect_token(url, token=token, token_type_hint="access_token")
            if refusal := _token_refused(response):
                current_app.logger.info("introspection refused the token: %s", refusal)
                raise unauthorized(f"The identity provider does not accept the token ({refusal}).")
            response.raise_for_status()
            result = response.json()
        if not isinstance(result, dict) or not isinstance(result.get("active"), bool):
            current_app.logger.warning("introspection answered without 'active': %.200r", result)
            raise idp_unavailable("The identity provider gave an unusable introspection answer.")
        return result

    def key_set(self) -> KeySet:
        """The provider's current signing keys, fetched from its jwks_uri now."""
        self.endpoint("jwks_uri")  # 503 if the provider publishes no keys
        with _unavailable_on_error("JWKS"):
            return KeySet.import_key_set(self.client.fetch_jwk_set(force=True))


def _token_refused(response: requests.Response) -> str | None:
    """The reason a 4xx introspection answer gives against the token, if it is the token's fault.

    A provider may refuse to introspect a token it cannot (e.g. unsupported_token_type for a JWT
    access token): the caller's token is not usable here, a 401. A refusal of our own client
    (invalid_client, or a 401/403/404 with no OAuth error) stays a 503: the API is misconfigured.
    """
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str) and error:
        return None if error in _CLIENT_ERRORS else error
    return "invalid_request" if response.status_code == 400 else None


@contextmanager
def _unavailable_on_error(what: str) -> Iterator[None]:
    """Turn a refused, timed-out, failed or garbled call to the provider into a 503."""
    try:
        yield
    except ServiceUnavailable:
        raise
    except (requests.RequestException, ValueError, TypeError, KeyError, JoseError) as error:
        current_app.logger.warning("identity provider %s failed: %r", what, error)
        raise idp_unavailable(
            f"The identity provider did not answer the {what} request; try again later."
        ) from None
