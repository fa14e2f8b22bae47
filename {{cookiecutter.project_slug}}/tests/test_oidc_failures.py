"""auth=oidc: a provider that is down, silent or confused costs a 503 within the timeout, never a
500 or a hung request; the app starts without it and recovers when it is back."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from auth_oidc import OIDCAuth

URL = "/api/resources/v1"
TIMEOUT = 1.0
MARGIN = 1.5  # seconds of slack over the timeout for a loaded machine

MakeApp = Callable[..., Flask]
MODES = ["introspection", "jwt"]
POST, BASIC = "client_secret_post", "client_secret_basic"


def get(app: Flask, headers: dict[str, str]) -> tuple[TestResponse, float]:
    started = time.monotonic()
    response = app.test_client().get(URL, headers=headers)
    return response, time.monotonic() - started


def assert_unavailable(response: TestResponse) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]


def make(make_app: MakeApp, auth: OIDCAuth, mode: str, **config: Any) -> Flask:
    """An app on the test provider, validating the mode's way, with a short timeout."""
    auth.token_format = "opaque" if mode == "introspection" else "jwt"
    return make_app(OIDC_TOKEN_VALIDATION=mode, OIDC_TIMEOUT_SECONDS=TIMEOUT, **config)


@pytest.mark.parametrize("mode", MODES)
def test_a_provider_that_is_down_gives_503(make_app: MakeApp, auth: OIDCAuth, mode: str) -> None:
    app, headers = make(make_app, auth, mode), auth.headers()
    auth.provider.stop()
    response, elapsed = get(app, headers)
    assert_unavailable(response)
    assert elapsed < TIMEOUT + MARGIN


@pytest.mark.parametrize("mode", MODES)
def test_a_hanging_provider_gives_503_within_the_timeout(
    make_app: MakeApp, auth: OIDCAuth, mode: str
) -> None:
    app, headers = make(make_app, auth, mode), auth.headers()
    auth.provider.mode = "hanging"
    response, elapsed = get(app, headers)
    assert_unavailable(response)
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN


@pytest.mark.parametrize("mode", MODES)
def test_a_provider_answering_garbage_gives_503(
    make_app: MakeApp, auth: OIDCAuth, mode: str
) -> None:
    app, headers = make(make_app, auth, mode), auth.headers()
    auth.provider.mode = "garbage"
    assert_unavailable(get(app, headers)[0])


def test_introspection_hanging_after_discovery_gives_503(make_app: MakeApp, auth: OIDCAuth) -> None:
    """Discovery went well; then the introspection endpoint goes silent."""
    app = make(make_app, auth, "introspection")
    assert get(app, auth.headers())[0].status_code == 200
    headers = auth.headers()  # a new token: not in the cache
    auth.provider.mode = "hanging"
    response, elapsed = get(app, headers)
    assert_unavailable(response)
    assert elapsed < TIMEOUT + MARGIN


def test_jwt_validation_needs_no_provider_once_it_has_the_keys(
    make_app: MakeApp, auth: OIDCAuth
) -> None:
    app = make(make_app, auth, "jwt")
    assert get(app, auth.headers())[0].status_code == 200
    headers = auth.headers()
    auth.provider.stop()
    assert get(app, headers)[0].status_code == 200


@pytest.mark.parametrize("mode", MODES)
def test_the_app_starts_without_the_provider_and_recovers(
    make_app: MakeApp, auth: OIDCAuth, mode: str
) -> None:
    """Discovery is lazy: create_app succeeds, requests get 503, then 200 once it is back."""
    headers = auth.headers(token_format="opaque" if mode == "introspection" else "jwt")
    auth.provider.mode = "garbage"
    app = make(make_app, auth, mode)
    assert_unavailable(get(app, headers)[0])
    auth.provider.stop()
    app = make(make_app, auth, mode)
    assert_unavailable(get(app, headers)[0])
    auth.provider.reset()
    assert get(app, headers)[0].status_code == 200


def test_a_provider_naming_another_issuer_is_not_trusted(
    make_app: MakeApp, auth: OIDCAuth, caplog: pytest.LogCaptureFixture
) -> None:
    """Discovery at localhost answers issuer 127.0.0.1: a misconfiguration, not a bad token."""
    issuer = auth.provider.issuer.replace("127.0.0.1", "localhost")
    app = make(make_app, auth, "jwt", OIDC_ISSUER=issuer)
    assert_unavailable(get(app, auth.headers())[0])
    assert "names issuer" in caplog.text


def test_refused_api_credentials_give_503(make_app: MakeApp, auth: OIDCAuth) -> None:
    """The provider refuses to introspect for us: the caller's token is not at fault."""
    app = make(make_app, auth, "introspection", OIDC_CLIENT_SECRET="wrong")
    assert_unavailable(get(app, auth.headers())[0])


@pytest.mark.parametrize(("method", "other"), [(POST, BASIC), (BASIC, POST)])
def test_the_api_authenticates_to_introspection_as_configured(
    make_app: MakeApp, auth: OIDCAuth, method: str, other: str
) -> None:
    """A provider accepting only one client authentication method from the API."""
    auth.provider.api_client.auth_methods = (method,)
    app = make(make_app, auth, "introspection", OIDC_INTROSPECTION_AUTH_METHOD=method)
    assert get(app, auth.headers())[0].status_code == 200
    app = make(make_app, auth, "introspection", OIDC_INTROSPECTION_AUTH_METHOD=other)
    assert_unavailable(get(app, auth.headers())[0])
