"""The auth fixtures for auth=oidc: a test OpenID provider, and its tokens for any caller."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.auth.oidc import EXTENSION, create_validator
from oidc_provider import OIDCProvider

ALL_SCOPES = ("resources:read", "resources:write")


class OIDCAuth:
    """Access tokens from the test provider; `provider` steers the provider itself."""

    def __init__(self, provider: OIDCProvider) -> None:
        self.provider = provider
        self.token_format = "opaque"  # or "jwt"; every test starts with opaque

    def settings(self) -> dict[str, Any]:
        """The app config that makes an app trust this provider."""
        return {
            "OIDC_ISSUER": self.provider.issuer,
            "OIDC_CLIENT_ID": self.provider.api_client.client_id,
            "OIDC_CLIENT_SECRET": self.provider.api_client.client_secret,
            "OIDC_AUDIENCE": self.provider.audience,
        }

    def token(
        self, subject: str = "alice", scopes: Iterable[str] = ALL_SCOPES, **options: Any
    ) -> str:
        """A token for subject with exactly these scopes; options override the client's
        (token_format, expires_in, claims={"aud": ...})."""
        options.setdefault("token_format", self.token_format)
        client = self.provider.register(subject, tuple(scopes), **options)
        return self.provider.fetch_token(client)

    def headers(
        self, subject: str = "alice", scopes: Iterable[str] = ALL_SCOPES, **options: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, scopes, **options)}"}


@pytest.fixture(scope="session")
def auth() -> Iterator[OIDCAuth]:
    """One provider on a free port for the whole run, stopped at the end."""
    provider = OIDCProvider()
    provider.start()
    yield OIDCAuth(provider)
    provider.stop()


class ServedOIDC:
    """A served app trusting the test provider; the client logs in with client credentials."""

    def __init__(self, auth: OIDCAuth) -> None:
        self.auth = auth

    def settings(self) -> dict[str, Any]:
        self.auth.provider.reset()
        return self.auth.settings()

    def prepare(self, app: Any) -> None:
        """Nothing to prepare: callers exist at the provider."""

    def login(self, client: Any, subject: str = "alice", scopes: Iterable[str] = ALL_SCOPES) -> Any:
        """Log the client in as a machine client of the provider; return that client."""
        registered = self.auth.provider.register(subject, tuple(scopes))
        result = client(
            "login",
            "--client-credentials",
            "--client-id",
            registered.client_id,
            "--client-secret",
            registered.client_secret,
        )
        assert result.exit_code == 0, result.stderr
        return registered

    def over_http(self, url: str) -> tuple[dict[str, str], tuple[str, ...]]:
        """Headers of alice (a token of the provider) and the secrets they involve (the token,
        the API's client secret), which no log line or span may hold."""
        token = self.auth.token()
        return {"Authorization": f"Bearer {token}"}, (
            token,
            self.auth.provider.api_client.client_secret,
        )


@pytest.fixture(scope="session")
def served_auth(auth: OIDCAuth) -> ServedOIDC:
    return ServedOIDC(auth)


@pytest.fixture(scope="session")
def reset_auth() -> Callable[[Flask], None]:
    """What a shared app forgets after each test: the discovery document, keys and claims its
    validator cached, as a new app would."""

    def reset(app: Flask) -> None:
        if validator := app.extensions[EXTENSION]:
            validator.idp.client.server_metadata.pop("_loaded_at", None)  # discovery again too
            app.extensions[EXTENSION] = create_validator(app, validator.idp)

    return reset


@pytest.fixture
def auth_settings(auth: OIDCAuth) -> dict[str, Any]:
    """Point every test app at the provider, which each test finds healthy and reset."""
    auth.provider.reset()
    auth.token_format = "opaque"
    return auth.settings()
