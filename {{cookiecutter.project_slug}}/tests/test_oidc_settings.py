"""auth=oidc: the settings, from the environment or a client-secrets file, and what start-up makes
of a missing or wrong one."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.auth.oidc import security_scheme

URL = "/api/resources/v1"
CREDENTIALS = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
UNSET = dict.fromkeys(CREDENTIALS, "")

MakeApp = Callable[..., Flask]


def test_credentials_can_come_from_a_client_secrets_file(
    make_app: MakeApp, auth: Any, tmp_path: Path
) -> None:
    """Flask-OIDC's client_secrets.json instead of the three variables."""
    settings = auth.settings()
    web = {name.removeprefix("OIDC_").lower(): settings[name] for name in CREDENTIALS}
    secrets_file = tmp_path / "client_secrets.json"
    secrets_file.write_text(json.dumps({"web": web}))
    app = make_app(OIDC_CLIENT_SECRETS=str(secrets_file), **UNSET)
    assert app.test_client().get(URL, headers=auth.headers()).status_code == 200


def test_a_variable_wins_over_the_client_secrets_file(
    make_app: MakeApp, auth: Any, tmp_path: Path
) -> None:
    secrets_file = tmp_path / "client_secrets.json"
    secrets_file.write_text(json.dumps({"web": {"issuer": "https://elsewhere.example"}}))
    app = make_app(OIDC_CLIENT_SECRETS=str(secrets_file))
    assert app.config["OIDC_ISSUER"] == auth.settings()["OIDC_ISSUER"]


def test_unconfigured_in_testing_starts_and_answers_503(make_app: MakeApp) -> None:
    """Public routes keep working; protected ones say the provider is not configured."""
    client = make_app(**UNSET).test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get(URL, headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert "OIDC_ISSUER" in response.get_json()["detail"]


def test_production_refuses_to_start_unconfigured(make_app: MakeApp) -> None:
    with pytest.raises(RuntimeError, match="OIDC_ISSUER"):
        make_app(APP_ENV="production", SECRET_KEY="s" * 40, **UNSET)


def test_jwt_validation_needs_no_client_credentials(make_app: MakeApp, auth: Any) -> None:
    """The JWKS is public: only introspection authenticates the API to the provider."""
    auth.token_format = "jwt"
    app = make_app(
        APP_ENV="production",
        SECRET_KEY="s" * 40,
        OIDC_TOKEN_VALIDATION="jwt",
        OIDC_CLIENT_ID="",
        OIDC_CLIENT_SECRET="",
    )
    assert app.test_client().get(URL, headers=auth.headers()).status_code == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OIDC_TOKEN_VALIDATION", "magic"),
        ("OIDC_INTROSPECTION_AUTH_METHOD", "none"),
        ("OIDC_TIMEOUT_SECONDS", 0),
        ("OIDC_CACHE_TTL_SECONDS", -1),
        ("OIDC_CLIENT_SECRETS", "/nonexistent/client_secrets.json"),
    ],
)
def test_a_bad_setting_stops_start_up_with_its_name(
    make_app: MakeApp, name: str, value: Any
) -> None:
    with pytest.raises(RuntimeError, match=name):
        make_app(**{name: value})


def test_environment_values_are_parsed(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIDC_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("OIDC_CACHE_TTL_SECONDS", "30")
    monkeypatch.setenv("OIDC_TOKEN_VALIDATION", "jwt")
    app = make_app()
    assert (app.config["OIDC_TIMEOUT_SECONDS"], app.config["OIDC_CACHE_TTL_SECONDS"]) == (2.5, 30)
    assert app.config["OIDC_TOKEN_VALIDATION"] == "jwt"


def test_the_security_scheme_names_the_provider_discovery_url(make_app: MakeApp, auth: Any) -> None:
    """OpenAPI's openIdConnectUrl is the provider's, not a path on this API."""
    scheme = security_scheme(make_app())
    assert scheme["type"] == "openIdConnect"
    assert scheme["openIdConnectUrl"] == (
        auth.settings()["OIDC_ISSUER"] + "/.well-known/openid-configuration"
    )
