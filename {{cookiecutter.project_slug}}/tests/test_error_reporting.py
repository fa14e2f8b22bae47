"""Error reports: with SENTRY_DSN set, the real Sentry SDK sends a 500 to the DSN with its request
id and without credentials; a 4xx sends nothing. The DSN points at a local recorder over HTTP."""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from flask import Flask

from collectors import ErrorReports, reporting
from test_errors import assert_problem


@pytest.fixture
def recorder() -> Iterator[ErrorReports]:
    """A local HTTP endpoint that keeps every event posted to it; the SDK closed afterwards."""
    with reporting() as reports:
        try:
            yield reports
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.init()  # no DSN: nothing is sent by later tests


def events(reports: ErrorReports) -> list[dict[str, Any]]:
    """The events received, once the SDK (which sends from a thread of its own) has sent all."""
    sentry_sdk.flush(timeout=10)
    return list(reports.events)


def test_an_unexpected_error_is_reported_with_its_request_id(
    make_app: Callable[..., Flask], recorder: ErrorReports
) -> None:
    """One event: the exception, the release and environment, the request id; no secrets."""
    app = make_app(SENTRY_DSN=recorder.dsn)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("an unexpected failure")

    client = app.test_client()
    # Made at run time: the report carries source lines around each frame, this test's included.
    token, cookie = uuid.uuid4().hex, uuid.uuid4().hex
    headers = {"X-Request-ID": "trace-500", "Authorization": f"Bearer {token}"}
    assert_problem(client.get("/boom", headers={**headers, "Cookie": f"s={cookie}"}), 500)

    [event] = events(recorder)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "trace-500"
    assert (event["release"], event["environment"]) == (app.config["API_VERSION"], "testing")
    sent = json.dumps(event)
    assert token not in sent and cookie not in sent
    assert "data" not in event.get("request", {})


def test_client_errors_are_not_reported(
    make_app: Callable[..., Flask], recorder: ErrorReports, writer_headers: dict[str, str]
) -> None:
    """404, 405 and 422 are the caller's mistakes: no event."""
    client = make_app(SENTRY_DSN=recorder.dsn).test_client()
    assert_problem(client.get("/no-such-route"), 404)
    assert_problem(client.delete("/healthz"), 405)
    assert_problem(client.post("/api/resources/v1", json={}, headers=writer_headers), 422)
    assert events(recorder) == []
