"""Liveness, readiness and the headers every response carries."""

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, session
from flask.sessions import NullSession
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

MakeApp = Callable[..., Flask]


def unreachable(url: str, tmp_path: Path) -> str:
    """Return a URL of the same kind as url that no database answers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite3")
    # Port 1 on loopback is closed: the connection is refused at once.
    return parsed.set(host="127.0.0.1", port=1).render_as_string(hide_password=False)


def test_healthz_reports_ok(client: FlaskClient) -> None:
    """It answers 200 {"status": "ok"}."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_ok_when_the_database_answers(client: FlaskClient) -> None:
    """It answers 200 when the database is reachable."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_503_when_the_database_is_unreachable(
    make_app: MakeApp, migrated: str, tmp_path: Path
) -> None:
    """It answers 503 problem+json, and liveness stays 200."""
    app = make_app(unreachable(migrated, tmp_path), DATABASE_TIMEOUT_SECONDS=2)
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 503
    assert response.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200


def test_a_request_to_an_unreachable_database_is_503(
    make_app: MakeApp, migrated: str, tmp_path: Path, writer_headers: dict[str, str]
) -> None:
    """A route that needs the database answers 503, not 500, when it is down."""
    app = make_app(unreachable(migrated, tmp_path), DATABASE_TIMEOUT_SECONDS=2)
    response = app.test_client().get("/api/resources/v1", headers=writer_headers)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_every_response_carries_the_version(app: Flask, client: FlaskClient) -> None:
    """The X-App-Version header holds the application version, on errors too."""
    for path in ("/healthz", "/no-such-route"):
        assert client.get(path).headers["X-App-Version"] == app.config["API_VERSION"]


def test_app_version_can_be_stamped(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """APP_VERSION set at build time replaces the package version."""
    monkeypatch.setenv("APP_VERSION", "2024.1-build7")
    app = make_app()
    assert app.test_client().get("/healthz").headers["X-App-Version"] == "2024.1-build7"


def test_no_request_opens_a_cookie_session(app: Flask, client: FlaskClient) -> None:
    """The API is stateless: no Set-Cookie, and flask.session is the read-only null session."""
    assert "Set-Cookie" not in client.get("/healthz", headers={"Cookie": "session=x"}).headers
    with app.test_request_context("/healthz"):
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]


def test_a_request_id_is_echoed(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """A well-formed X-Request-ID comes back and is on the access log line."""
    with caplog.at_level("INFO"):
        response = client.get("/api/greeting/v1", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert any("request_id=abc-123" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_probes_log_their_access_lines_at_debug(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, probe: str
) -> None:
    """The orchestrator asks the probes every few seconds: their lines are DEBUG, not INFO."""
    with caplog.at_level("DEBUG", logger="{{ cookiecutter.package_name }}.access"):
        assert client.get(probe, headers={"X-Request-ID": "probe-1"}).status_code == 200
    lines = [r for r in caplog.records if "request_id=probe-1" in r.getMessage()]
    assert [r.levelname for r in lines] == ["DEBUG"]


@pytest.mark.parametrize("supplied", [None, "", "has spaces", "x" * 129, 'quote"d<script>'])
def test_a_request_id_is_generated(client: FlaskClient, supplied: str | None) -> None:
    """A missing or unsafe X-Request-ID is replaced by a fresh one."""
    headers = {} if supplied is None else {"X-Request-ID": supplied}
    request_id = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert request_id != supplied
    assert len(request_id) == 32


def test_proxy_fix_trusts_the_configured_proxies(make_app: MakeApp) -> None:
    """With PROXY_FIX_COUNT=1 the client address comes from X-Forwarded-For."""
    app = make_app(PROXY_FIX_COUNT=1)
    seen: list[str | None] = []

    @app.get("/whoami")
    def whoami() -> dict[str, str | None]:
        from flask import request

        seen.append(request.remote_addr)
        return {}

    app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen == ["203.0.113.9"]
