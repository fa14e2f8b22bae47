"""Error reports: with SENTRY_DSN set, the real Sentry SDK sends a 500 to the DSN with its request
id and without credentials; a 4xx sends nothing. The DSN points at a local recorder over HTTP."""

import gzip
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sentry_sdk
from flask import Flask

from serving import serving
from test_errors import assert_problem


@dataclass
class Recorder:
    """What Sentry would receive: each envelope's event items, as JSON."""

    dsn: str
    envelopes: list[bytes] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        sentry_sdk.flush(timeout=10)  # the SDK sends from a thread of its own
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")  # envelope header, then item header and payload pairs
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A local HTTP endpoint that keeps every envelope posted to it; the SDK closed afterwards."""
    envelopes: list[bytes] = []

    def receive(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ.get("HTTP_CONTENT_ENCODING") == "gzip":
            body = gzip.decompress(body)
        envelopes.append(body)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    with serving(receive) as url:
        try:
            yield Recorder(url.replace("http://", "http://public@") + "/1", envelopes)
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.init()  # no DSN: nothing is sent by later tests


def test_an_unexpected_error_is_reported_with_its_request_id(
    make_app: Callable[..., Flask], recorder: Recorder
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

    [event] = recorder.events()
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "trace-500"
    assert (event["release"], event["environment"]) == (app.config["API_VERSION"], "testing")
    sent = json.dumps(event)
    assert token not in sent and cookie not in sent
    assert "data" not in event.get("request", {})


def test_client_errors_are_not_reported(
    make_app: Callable[..., Flask], recorder: Recorder, writer_headers: dict[str, str]
) -> None:
    """404, 405 and 422 are the caller's mistakes: no event."""
    client = make_app(SENTRY_DSN=recorder.dsn).test_client()
    assert_problem(client.get("/no-such-route"), 404)
    assert_problem(client.delete("/healthz"), 405)
    assert_problem(client.post("/api/resources/v1", json={}, headers=writer_headers), 422)
    assert recorder.events() == []
