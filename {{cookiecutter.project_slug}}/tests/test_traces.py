"""Traces, through the real server command exporting over OTLP/HTTP to a receiver: one trace per
request named by its route, the SQL{% if cookiecutter.auth == "oidc" %} and the identity provider's calls{% endif %} as children, a caller's
traceparent continued, the trace id in the request's JSON log line, 5xx marked as errors, and
no secret in any span."""

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from collectors import (
{%- if cookiecutter.auth == "oidc" %}
    CLIENT,
{%- endif %}
    ERROR,
    SERVER,
    ErrorReports,
    Receiver,
{%- if cookiecutter.auth == "oidc" %}
    Span,
{%- endif %}
    descends,
    receiving,
    reporting,
    request_span,
)
from test_cli import child_env
from tracing import Command, call, running, tracing_env
{%- if cookiecutter.auth == "token" %}

from auth_token import LOGIN, PASSWORD
{%- endif %}

URL = "/api/resources/v1"


@dataclass
class Traced:
    """A traced server (2 workers) and a caller's headers; beside it a traced server whose
    database file is not a database, which answers 500 and reports it to Sentry."""

    server: Command
    broken: Command
    reports: ErrorReports
    headers: dict[str, str]
    secrets: tuple[str, ...]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def traced(
    prepared: Flask,
    migrated: str,
    served_auth: Any,
    receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Traced]:
    settings = {**served_auth.settings(), **tracing_env(receiver)}
    here, there = tmp_path_factory.mktemp("traced"), tmp_path_factory.mktemp("broken")
    (there / "broken.sqlite3").write_text("not a database")
    with reporting() as reports:
        served = Command(here, migrated, settings, workers=2)
        broken = Command(
            there,
            f"sqlite:///{there}/broken.sqlite3",
            {**settings, "SENTRY_DSN": reports.dsn},
            "--no-migrate",
        )
        with running(served, broken):
            headers, secrets = served_auth.over_http(served.url)
            yield Traced(served, broken, reports, headers, secrets)


OFF = """
import sys
from {{ cookiecutter.package_name }} import create_app

app = create_app({"APP_ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1]})
assert app.test_client().get("/api/greeting/v1").status_code == 200
print(sorted(name for name in sys.modules if name.startswith(TRACING)))
"""
# What tracing would load. (redis-py 7 imports parts of the SDK's metrics for its own metrics,
# which stay off unless configured: those are not ours.)
TRACING = ("opentelemetry.instrumentation", "opentelemetry.sdk.trace", "opentelemetry.exporter")


def test_off_nothing_of_tracing_is_imported(tmp_path: Path, migrated: str) -> None:
    """Without an endpoint, a process makes the app and answers a request with neither an
    instrumentation, the tracing SDK nor an exporter loaded: no request pays for traces it does
    not send."""
    env = {name: value for name, value in child_env().items() if not name.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", f"TRACING = {TRACING!r}\n{OFF}", migrated],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_a_request_is_one_trace_named_by_its_route(traced: Traced, receiver: Receiver) -> None:
    """One server span, the trace's root, named by the route template; the SQL below it."""
    base, headers = traced.server.url, traced.headers
    status, created, _body = call(base + URL, "POST", {"name": "traced"}, headers)
    assert status == 201
    status, _headers, _body = call(
        base + created["Location"], headers={**headers, "X-Request-ID": "traced-item"}
    )
    assert status == 200

    span = request_span(receiver, "traced-item")
    assert (span.kind, span.parent_id) == (SERVER, "")
    route = span.attributes["http.route"]
    assert span.name == f"GET {route}" and "<" in route, span
    trace = receiver.trace(span.trace_id)
    assert [s for s in trace if s.kind == SERVER] == [span]
    statements = [s for s in trace if "db.statement" in s.attributes]
    assert statements and all(descends(s, span, trace) for s in statements), trace
    resource = span.attributes["resource"]
    assert resource["service.name"] == "{{ cookiecutter.project_slug }}"
    assert resource["deployment.environment.name"] == "production"
    assert resource["service.version"] and resource["test.run"] == "traces"


def test_a_callers_traceparent_is_continued(traced: Traced, receiver: Receiver) -> None:
    """The request's span joins the caller's trace, as the caller's span's child."""
    trace_id, parent_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    status, _headers, _body = call(
        traced.server.url + URL,
        headers={
            **traced.headers,
            "traceparent": f"00-{trace_id}-{parent_id}-01",
            "X-Request-ID": "traced-continued",
        },
    )
    assert status == 200
    span = request_span(receiver, "traced-continued")
    assert (span.trace_id, span.parent_id) == (trace_id, parent_id)


def test_the_json_log_line_carries_the_trace_and_span_ids(
    traced: Traced, receiver: Receiver
) -> None:
    """The access line of a traced request names its trace and server span."""
    status, _headers, _body = call(
        traced.server.url + URL, headers={**traced.headers, "X-Request-ID": "traced-log"}
    )
    assert status == 200
    span = request_span(receiver, "traced-log")
    lines = [json.loads(line) for line in lines_of(traced.server.log)]
    [access] = [line for line in lines if line.get("request_id") == "traced-log"]
    assert (access["trace_id"], access["span_id"]) == (span.trace_id, span.span_id)


def lines_of(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith("{")]


def test_a_server_error_marks_its_span_and_its_report_names_it(
    traced: Traced, receiver: Receiver
) -> None:
    """A 500 (here: the database file is not a database) leaves its span marked as an error,
    and its Sentry event carries the trace and span ids beside the request id."""
    status, _headers, body = call(
        traced.broken.url + URL, headers={**traced.headers, "X-Request-ID": "traced-500"}
    )
    assert status == 500, body
    span = request_span(receiver, "traced-500")
    assert span.status == ERROR, span
    tags = traced.reports.wait_for_event()["tags"]
    assert tags["request_id"] == "traced-500"
    assert (tags["trace_id"], tags["span_id"]) == (span.trace_id, span.span_id)
{%- if cookiecutter.auth == "oidc" %}


def test_the_providers_calls_are_client_spans_of_the_request(
    traced: Traced, receiver: Receiver, served_auth: Any
) -> None:
    """Checking a new token calls the identity provider: a client span below the request's."""
    headers, _secrets = served_auth.over_http(traced.server.url)
    status, _headers, _body = call(
        traced.server.url + URL, headers={**headers, "X-Request-ID": "traced-provider"}
    )
    assert status == 200
    span = request_span(receiver, "traced-provider")
    issuer = served_auth.auth.provider.issuer
    trace = receiver.trace(span.trace_id)
    calls = [s for s in trace if s.kind == CLIENT and str(url_of(s)).startswith(issuer)]
    assert calls and all(descends(s, span, trace) for s in calls), trace


def url_of(span: Span) -> Any:
    return span.attributes.get("url.full", span.attributes.get("http.url"))
{%- endif %}

{%- if cookiecutter.auth == "token" %}


def test_a_security_event_is_a_json_line_with_its_ids_and_no_secret(
    traced: Traced, receiver: Receiver
) -> None:
    """A login is logged as login.succeeded, with the user's id as both actor and subject, the
    request id and the trace and span ids of its request, and none of the secrets."""
    body = {"username": "alice", "password": PASSWORD}
    headers = {"X-Request-ID": "traced-login"}
    status, _headers, tokens = call(traced.server.url + LOGIN, "POST", body, headers)
    assert status == 200
    span = request_span(receiver, "traced-login")
    lines = [json.loads(line) for line in lines_of(traced.server.log)]
    [event] = [
        line
        for line in lines
        if line.get("event") == "login.succeeded" and line["request_id"] == "traced-login"
    ]
    assert event["logger"].endswith(".security")
    assert isinstance(event["user_id"], int) and event["actor_id"] == event["user_id"]
    assert (event["trace_id"], event["span_id"]) == (span.trace_id, span.span_id)
    log = traced.server.log.read_text()
    for secret in (PASSWORD, tokens["access_token"], tokens["refresh_token"], *traced.secrets):
        assert secret not in log
{%- endif %}


def test_no_span_holds_a_secret(traced: Traced, receiver: Receiver) -> None:
    """No header, token, password, cookie, body or bound SQL value is in any attribute."""
    marker, cookie = f"body-{uuid.uuid4().hex}", uuid.uuid4().hex
    headers = {**traced.headers, "Cookie": f"session={cookie}", "X-Request-ID": "traced-secrets"}
    status, _headers, _body = call(traced.server.url + URL, "POST", {"name": marker}, headers)
    assert status == 201
    request_span(receiver, "traced-secrets")
    secrets = (*traced.secrets, marker, cookie)
    spans = receiver.wait_for(lambda spans: True)
    for span in spans:
        for name, value in span.attributes.items():
            assert "authorization" not in name.lower() and "cookie" not in name.lower(), span
            assert not [secret for secret in secrets if secret in str(value)], span
