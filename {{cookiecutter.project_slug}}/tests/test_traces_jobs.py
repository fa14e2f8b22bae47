"""A job's span continues the trace of the request that queued it, across Redis: a real server
command and a real worker, both exporting to one receiver."""

import uuid
from pathlib import Path
from typing import Any

from flask import Flask

from collectors import CONSUMER, PRODUCER, descends, receiving, request_span
from test_worker import worker
from tracing import Command, call, running, tracing_env


def test_a_jobs_span_is_in_the_trace_of_the_request_that_queued_it(
    tmp_path: Path, prepared: Flask, migrated: str, served_auth: Any, redis_url: str
) -> None:
    """Request, then the job's publication, then its run on the worker (and its SQL), in one
    trace: the traceparent travelled in the message."""
    queue = {"TASKS_EAGER": False, "REDIS_URL": redis_url, "TASKS_QUEUE": uuid.uuid4().hex}
    with receiving() as receiver:
        settings = {**served_auth.settings(), **queue, **tracing_env(receiver)}
        api = Command(tmp_path, migrated, settings)
        # The worker first: it boots while the server does.
        with worker(tmp_path, migrated, settings), running(api):
            headers, _secrets = served_auth.over_http(api.url)
            status, _headers, body = call(
                api.url + "/api/jobs/v1",
                "POST",
                {"kind": "resource-report"},
                {**headers, "X-Request-ID": "traced-job"},
            )
            assert status == 202, body
            request = request_span(receiver, "traced-job")
            spans = receiver.wait_for(
                lambda spans: any(
                    s.kind == CONSUMER and s.trace_id == request.trace_id for s in spans
                )
            )

    trace = [span for span in spans if span.trace_id == request.trace_id]
    [published] = [span for span in trace if span.kind == PRODUCER]
    [ran] = [span for span in trace if span.kind == CONSUMER]
    assert descends(published, request, trace) and ran.parent_id == published.span_id, trace
    statements = [span for span in trace if "db.statement" in span.attributes]
    assert any(descends(span, ran, trace) for span in statements), trace
