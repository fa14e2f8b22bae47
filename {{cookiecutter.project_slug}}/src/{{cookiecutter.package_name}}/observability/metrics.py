"""Prometheus metrics at /metrics: requests and their latency per method, route template and
status, and the running version.

Under the server command each worker writes its counts to PROMETHEUS_MULTIPROC_DIR and /metrics
sums them when read (prometheus-client's multiprocess mode).
"""

import hmac
import os
import time
from functools import lru_cache

from flask import Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from werkzeug.exceptions import Unauthorized

from ..middleware import STARTED

REQUESTS = Counter(
    "http_requests_total", "Requests answered", ["method", "route", "status"], registry=None
)
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer", ["method", "route"], registry=None
)
BUILD = Gauge(
    "app_build_info", "The running version", ["version"], multiprocess_mode="max", registry=None
)


def init_app(app: Flask) -> None:
    """Count every answer and serve /metrics, outside the OpenAPI spec."""
    BUILD.labels(app.config["API_VERSION"]).set(1)
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", _metrics)


def _count(response: Response) -> Response:
    """Count the answer by route template and status, with its time."""
    now = time.perf_counter()
    served = request._get_current_object()  # type: ignore[attr-defined]
    rule = served.url_rule
    requests, latency = _series(
        served.method, rule.rule if rule else "unmatched", response.status_code
    )
    requests.inc()
    latency.observe(now - served.environ.get(STARTED, now))
    return response


@lru_cache(maxsize=1024)
def _series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """The request counter and latency histogram of one method, route and status."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)


def _metrics() -> Response:
    """The Prometheus exposition; with METRICS_TOKEN set, only for that bearer token."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("Send the METRICS_TOKEN as a bearer token.")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # every worker's counts, summed (prometheus-client ships no annotations for it)
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in (REQUESTS, LATENCY, BUILD):
            registry.register(metric)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
