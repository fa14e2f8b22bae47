"""OpenTelemetry traces, on once OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ form) is set.

The spans come from the maintained instrumentations: Flask's, one server span per request named
by its route template (a 5xx marks it as an error, a caller's `traceparent` is continued);
SQLAlchemy's, a child span per statement, recorded without its bound values; requests', a client
span per call to the identity provider (introspection, JWKS), so a slow provider shows; and
Celery's where the project has jobs: a job's span continues the trace of the request that queued
it, by the W3C `traceparent` carried in the message. None records a header, a body or a password.

The SDK reads its own variables (OTEL_SERVICE_NAME, default here the project slug;
OTEL_TRACES_SAMPLER, default parentbased_always_on; OTEL_RESOURCE_ATTRIBUTES; OTEL_BSP_*).

Two steps, because the SDK's exporter thread must not cross a fork: init_app instruments while
the app is made (in each server worker, in the jobs worker's main process) and start() makes the
exporter in each process that serves, after its fork (cli.py's create_worker_app, the jobs
worker's worker_process_init). Off, no instrumentation, tracing SDK or exporter is imported.
"""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import Flask

from ..middleware import REQUEST_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from opentelemetry.trace import Span

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
# Probes and scrapes come every few seconds and make no traces (OpenTelemetry's URL patterns,
# which OTEL_PYTHON_FLASK_EXCLUDED_URLS replaces).
UNTRACED_URLS = r"/(healthz|readyz|metrics)(\?|$)"


def enabled() -> bool:
    """Whether spans have somewhere to go, and the SDK's own switches leave them on."""
    env = os.environ
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return bool(endpoint) and not disabled and env.get("OTEL_TRACES_EXPORTER", "otlp") != "none"


def init_app(app: Flask) -> bool:
    """Instrument the app, database engines made from now on, and outgoing HTTP; say whether
    traces are on. Spans go nowhere until start() runs in the process."""
    if not enabled():
        return False
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    excluded = os.environ.get("OTEL_PYTHON_FLASK_EXCLUDED_URLS", UNTRACED_URLS)
    # (The instrumentations ship without annotations.)
    FlaskInstrumentor().instrument_app(  # type: ignore[no-untyped-call]
        app, excluded_urls=excluded, request_hook=_tag_request
    )
    # Process-wide: once, whatever the number of apps a process makes.
    for instrumentor in (SQLAlchemyInstrumentor(), RequestsInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    return True


def start(app: Flask) -> None:
    """Export this process's spans over OTLP/HTTP from the SDK's batch processor."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read here; the version and environment
    # are the app's.
    resource = Resource.create(
        {
            "service.version": app.config["API_VERSION"],
            "deployment.environment.name": app.config["APP_ENV"],
        }
    )
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def flush() -> None:
    """Send the spans still batched, before a process that skips exit handlers ends."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):  # the SDK's, once start() has run
        provider.force_flush()


def current_ids() -> dict[str, str]:
    """The ids of the trace and span being recorded, if any, as log lines and reports show them."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }


def captured() -> object | None:
    """The trace context of this moment, for work that runs later elsewhere (None: untraced)."""
    if not enabled():
        return None
    from opentelemetry import context

    return context.get_current()


@contextmanager
def carried(captured_context: object | None) -> Iterator[None]:
    """Run a block in a context captured() took: its log lines name that trace."""
    if captured_context is None:
        yield
        return
    from opentelemetry import context

    token = context.attach(captured_context)  # type: ignore[arg-type]
    try:
        yield
    finally:
        context.detach(token)


class TraceIdFilter(logging.Filter):
    """Give every record the trace and span ids of the span it was written in (else None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = current_ids()
        record.trace_id, record.span_id = ids.get("trace_id"), ids.get("span_id")
        return True


def _tag_request(span: "Span", environ: "WSGIEnvironment") -> None:
    """Put the request id on the request's span: the access line and the span join up."""
    if span.is_recording():
        span.set_attribute("app.request_id", environ.get(REQUEST_ID, ""))
