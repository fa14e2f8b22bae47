"""Logs, metrics and error reports, one concern: the access log, JSON or text lines, Prometheus at
/metrics, and Sentry when SENTRY_DSN is set.

Every log line can carry the request id (a filter reads it from the request being served), so an
access line and the application's own lines of one request join up. Metrics are counted per
route template and status; under gunicorn they are written to PROMETHEUS_MULTIPROC_DIR by each
worker and summed when /metrics is read (prometheus-client's multiprocess mode). Sentry's logging
integration reports every ERROR line, so the unexpected exception errors.py logs (a 500) is sent
with its request id as a tag; a 4xx logs no error and sends nothing.
"""

import hmac
import logging
import os
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

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

from .middleware import REQUEST_ID, STARTED, request_id

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

access_log = logging.getLogger(__name__.rsplit(".", 1)[0] + ".access")

TEXT_FORMAT = "%(message)s"
# JSON lines: these fields, plus whatever a log call passes in `extra` (the access line's).
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
JSON_RENAMES = {"asctime": "timestamp", "levelname": "level", "name": "logger"}

REQUESTS = Counter(
    "http_requests_total", "Requests answered", ["method", "route", "status"], registry=None
)
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer", ["method", "route"], registry=None
)
BUILD = Gauge(
    "app_build_info", "The running version", ["version"], multiprocess_mode="max", registry=None
)

# The orchestrator's probes: asked every few seconds, their access lines are DEBUG.
PROBES = frozenset({"/healthz", "/readyz"})

# Request parts that never leave for the error tracker, whatever the SDK's defaults.
PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being served ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """Every logger, gunicorn's too, to stderr in LOG_FORMAT: for dictConfig and logconfig_dict."""
    style: dict[str, Any] = {"format": TEXT_FORMAT}
    if log_format == "json":
        style = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FIELDS,
            "rename_fields": JSON_RENAMES,
        }
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "app",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"app": style},
        "handlers": {"app": handler},
        "root": {"handlers": ["app"], "level": level},
        "loggers": {
            # gunicorn writes no access lines (cli.GunicornLogger): the app does, with its id.
            "gunicorn.error": {"handlers": ["app"], "level": level, "propagate": False},
        },
    }


def init_app(app: Flask) -> None:
    """Record every answer (access log, metrics), serve /metrics outside the OpenAPI spec, and
    report errors to Sentry when SENTRY_DSN is set."""
    if app.config["SENTRY_DSN"]:
        init_sentry(app)
    BUILD.labels(app.config["API_VERSION"]).set(1)
    app.after_request(_record)
    app.add_url_rule("/metrics", "metrics", _metrics)


def init_sentry(app: Flask) -> None:
    """Report errors to SENTRY_DSN. The SDK is imported here, once there is a DSN: without one,
    every process (each CLI command, each worker) starts without loading it."""
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        release=app.config["API_VERSION"],
        environment=app.config["APP_ENV"],
        # Celery's integration (tasks=celery) enables itself where celery is installed.
        integrations=[FlaskIntegration()],
        max_request_body_size="never",  # and, by default, no personal data
        before_send=scrub,
    )


def scrub(event: "Event", hint: "Hint") -> "Event":
    """Tag an error report with the request id; drop the body, cookies and credentials."""
    details = event.get("request")
    if details:
        details.pop("data", None)
        details.pop("cookies", None)
        headers = cast(dict[str, str], details.get("headers") or {})
        details["headers"] = {
            name: value for name, value in headers.items() if name.lower() not in PRIVATE_HEADERS
        }
    if identifier := request_id():
        event.setdefault("tags", {})["request_id"] = identifier
    return event


def _record(response: Response) -> Response:
    """Count the answer by route template and status, and write its access line (probes' at
    DEBUG: an orchestrator asks them every few seconds)."""
    environ = request.environ
    now = time.perf_counter()
    elapsed = now - environ.get(STARTED, now)
    rule, method, status = request.url_rule, request.method, response.status_code
    route = rule.rule if rule else "unmatched"
    requests, latency = _series(method, route, status)
    requests.inc()
    latency.observe(elapsed)
    level = logging.DEBUG if route in PROBES else logging.INFO
    if access_log.isEnabledFor(level):  # below the level: nothing is gathered
        path = request.full_path.rstrip("?")
        access_log.log(
            level,
            '%s "%s %s" %s %.1fms request_id=%s',
            request.remote_addr,
            method,
            path,
            status,
            elapsed * 1000,
            environ.get(REQUEST_ID, "-"),
            extra={
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "remote_addr": request.remote_addr,
            },
        )
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
