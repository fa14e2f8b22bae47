"""Security headers: nosniff on every answer, HSTS over HTTPS, a CSP and no framing on /docs."""

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

MakeApp = Callable[..., Flask]
HSTS = "Strict-Transport-Security"


@pytest.mark.parametrize("path", ["/healthz", "/api/resources/v1/2", "/nowhere", "/docs"])
def test_every_answer_forbids_sniffing(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_over_plain_http(client: FlaskClient) -> None:
    """Nor from a client claiming HTTPS, where no proxy is trusted."""
    assert HSTS not in client.get("/healthz").headers
    assert HSTS not in client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/healthz", base_url="https://localhost")
    assert response.headers[HSTS].startswith("max-age=31536000")


def test_hsts_behind_a_tls_proxy(make_app: MakeApp) -> None:
    """The proxy's X-Forwarded-Proto, trusted through PROXY_FIX_COUNT, or PREFERRED_URL_SCHEME."""
    proxied = make_app(PROXY_FIX_COUNT=1).test_client()
    assert HSTS in proxied.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers
    assert HSTS not in proxied.get("/healthz", headers={"X-Forwarded-Proto": "http"}).headers
    assert HSTS in make_app(PREFERRED_URL_SCHEME="https").test_client().get("/healthz").headers


def test_a_malformed_url_scheme_stops_start_up(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "htps")
    with pytest.raises(RuntimeError, match="PREFERRED_URL_SCHEME"):
        make_app()


def policy(header: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in header.split(";"))


def test_docs_allow_only_their_own_scripts(client: FlaskClient) -> None:
    """No inline script in the page, none allowed; no framing; the page says what it runs."""
    response = client.get("/docs")
    csp = policy(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline == [' id="swagger-ui-config" type="application/json"']


def test_the_oauth2_redirect_page_runs_only_its_own_script(client: FlaskClient) -> None:
    with client.get("/docs/oauth2-redirect") as response:  # a file response: close it
        assert response.status_code == 200
        assert "swaggerUIRedirectOauth2" in response.get_data(as_text=True)
        csp = policy(response.headers["Content-Security-Policy"])
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", csp["script-src"])
    assert csp["default-src"] == "'none'"


def test_api_answers_carry_no_page_policy(client: FlaskClient) -> None:
    assert "Content-Security-Policy" not in client.get("/healthz").headers
