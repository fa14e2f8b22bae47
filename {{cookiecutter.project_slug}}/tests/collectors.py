"""What an operator's collectors would receive from a server, in a test: every span posted to an
OTLP/HTTP receiver (decoded from ExportTraceServiceRequest protobuf with opentelemetry-proto, as
an OpenTelemetry collector would), and every event posted to a stand-in for Sentry.
"""

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from serving import serving

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


SERVER, CLIENT = SpanMessage.SPAN_KIND_SERVER, SpanMessage.SPAN_KIND_CLIENT
PRODUCER, CONSUMER = SpanMessage.SPAN_KIND_PRODUCER, SpanMessage.SPAN_KIND_CONSUMER
ERROR = Status.STATUS_CODE_ERROR


@dataclass(frozen=True)
class Span:
    """One received span, its ids in hex as log lines and traceparent headers write them."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    status: int
    attributes: dict[str, Any]


def value(message: AnyValue) -> Any:
    """A protobuf attribute value as Python."""
    kind = message.WhichOneof("value")
    if kind == "array_value":
        return [value(item) for item in message.array_value.values]
    if kind == "kvlist_value":
        return {pair.key: value(pair.value) for pair in message.kvlist_value.values}
    return getattr(message, kind) if kind else None


@dataclass
class Receiver:
    """What a collector would receive; `url` is the OTEL_EXPORTER_OTLP_ENDPOINT to give."""

    url: str = ""
    spans: list[Span] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ["PATH_INFO"] != "/v1/traces":
            start_response("404 Not Found", [])
            return []
        request = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        Span(
                            service=str(resource.get("service.name")),
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            status=span.status.code,
                            attributes={
                                "resource": resource,
                                **{a.key: value(a.value) for a in span.attributes},
                            },
                        )
                    )
        with self.arrived:
            self.spans.extend(received)
            self.arrived.notify_all()
        start_response("200 OK", [("Content-Type", "application/x-protobuf")])
        return [ExportTraceServiceResponse().SerializeToString()]

    def wait_for(self, found: Callable[[list[Span]], bool], timeout: float = 30) -> list[Span]:
        """Every span received, once `found` holds for them (at most timeout seconds)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: found(self.spans), timeout=timeout):
                names = sorted({span.name for span in self.spans})
                raise AssertionError(f"not received within {timeout} s; spans so far: {names}")
            return list(self.spans)

    def trace(self, trace_id: str) -> list[Span]:
        with self.arrived:
            return [span for span in self.spans if span.trace_id == trace_id]


@dataclass
class ErrorReports:
    """What Sentry would receive from a server: each envelope's events, as JSON. `dsn` is the
    SENTRY_DSN to give."""

    dsn: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ.get("HTTP_CONTENT_ENCODING") == "gzip":
            body = gzip.decompress(body)
        lines = body.split(b"\n")  # envelope header, then item header and payload pairs
        found = [
            json.loads(payload)
            for header, payload in zip(lines[1::2], lines[2::2], strict=False)
            if json.loads(header).get("type") == "event"
        ]
        with self.arrived:
            self.events.extend(found)
            self.arrived.notify_all()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    def wait_for_event(self, timeout: float = 30) -> dict[str, Any]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.events, timeout=timeout), "no event"
            return self.events[0]


@contextmanager
def reporting() -> Iterator[ErrorReports]:
    """A stand-in for Sentry on a free port of 127.0.0.1, stopped on the way out."""
    reports = ErrorReports()
    with serving(reports) as url:
        reports.dsn = url.replace("http://", "http://public@") + "/1"
        yield reports


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver on a free port of 127.0.0.1, stopped on the way out."""
    receiver = Receiver()
    with serving(receiver) as url:
        receiver.url = url
        yield receiver


def request_span(receiver: Receiver, request_id: str) -> Span:
    """The server span of the request with this id, once received."""

    def found(spans: list[Span]) -> bool:
        return any(s.attributes.get("app.request_id") == request_id for s in spans)

    spans = receiver.wait_for(found)
    [span] = [s for s in spans if s.attributes.get("app.request_id") == request_id]
    return span


def descends(span: Span, ancestor: Span, spans: list[Span]) -> bool:
    """Whether span is below ancestor in their trace."""
    by_id = {s.span_id: s for s in spans}
    parent = by_id.get(span.parent_id)
    while parent is not None:
        if parent.span_id == ancestor.span_id:
            return True
        parent = by_id.get(parent.parent_id)
    return False
