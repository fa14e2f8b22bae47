"""CORS: the origins of CORS_ORIGINS may call /api/... from a browser, and no other origin may."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

MakeApp = Callable[..., Flask]
ALLOWED = "https://app.example.com"
LIST = "/api/resources/v1"


def preflight(app: Flask, origin: str, method: str, headers: str = "") -> dict[str, str]:
    response = app.test_client().options(
        LIST,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )
    assert response.status_code == 200
    return dict(response.headers)


@pytest.mark.parametrize(
    "value",
    [
        "app.example.com",
        "https://app.example.com/",
        "https://app.example.com/path",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:port",
        "*, https://app.example.com",
    ],
    ids=["no-scheme", "slash", "path", "ftp", "userinfo", "port", "wildcard-mixed"],
)
def test_a_malformed_setting_stops_start_up(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """From the environment or from config, the error names CORS_ORIGINS on one line."""
    monkeypatch.setenv("CORS_ORIGINS", value)
    with pytest.raises(RuntimeError, match="CORS_ORIGINS") as from_env:
        make_app()
    assert "\n" not in str(from_env.value)
    monkeypatch.delenv("CORS_ORIGINS")
    with pytest.raises(RuntimeError, match="^CORS_ORIGINS: "):
        make_app(CORS_ORIGINS=value)


def test_origins_are_read_from_a_comma_separated_variable(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", f"{ALLOWED}, http://127.0.0.1:5173")
    app = make_app()
    assert app.config["CORS_ORIGINS"] == [ALLOWED, "http://127.0.0.1:5173"]


def test_a_preflight_answers_the_routes_methods_and_the_allowed_headers(make_app: MakeApp) -> None:
    """The methods are the route's, not every method; only the listed headers are allowed."""
    headers = preflight(
        make_app(CORS_ORIGINS=[ALLOWED]), ALLOWED, "POST", "Authorization, Content-Type, X-Other"
    )
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    assert set(headers["Access-Control-Allow-Methods"].split(", ")) == {
        "GET",
        "HEAD",
        "POST",
        "OPTIONS",
    }
    assert headers["Access-Control-Allow-Headers"].lower() == "authorization, content-type"
    assert "Access-Control-Allow-Credentials" not in headers
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in headers["Vary"]


def test_a_method_the_route_lacks_is_not_allowed(make_app: MakeApp) -> None:
    headers = preflight(make_app(CORS_ORIGINS=[ALLOWED]), ALLOWED, "DELETE")
    assert "DELETE" not in headers["Access-Control-Allow-Methods"]


def test_an_answer_exposes_the_headers_a_client_reads(make_app: MakeApp) -> None:
    """Errors too: a browser client can read the problem of a 401."""
    app = make_app(CORS_ORIGINS=[ALLOWED])
    response = app.test_client().get(LIST, headers={"Origin": ALLOWED.upper()})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED.upper()
    exposed = set(response.headers["Access-Control-Expose-Headers"].split(", "))
    assert exposed == {"ETag", "Location", "Link", "X-Request-ID"}


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://app.example.com:444"])
def test_another_origin_gets_no_access(make_app: MakeApp, origin: str) -> None:
    headers = preflight(make_app(CORS_ORIGINS=[ALLOWED]), origin, "GET", "Authorization")
    assert not any(name.startswith("Access-Control-") for name in headers)


def test_routes_outside_the_api_answer_no_cors(make_app: MakeApp) -> None:
    response = (
        make_app(CORS_ORIGINS=[ALLOWED]).test_client().get("/healthz", headers={"Origin": ALLOWED})
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_by_default_no_origin_is_allowed(client: FlaskClient) -> None:
    headers = dict(client.get(LIST, headers={"Origin": ALLOWED}).headers)
    assert not any(name.startswith("Access-Control-") for name in headers)


def test_a_wildcard_allows_any_origin_without_credentials(make_app: MakeApp) -> None:
    headers = preflight(make_app(CORS_ORIGINS="*"), "https://any.example", "GET", "Authorization")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Headers"].lower() == "authorization"
    assert "Access-Control-Allow-Credentials" not in headers
