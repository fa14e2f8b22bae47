"""Log lines: every logger, granian's too, to stderr as text or JSON (LOG_FORMAT), each line
with the request id, and one access line per answer.

A filter reads the request id from the request being served, so an access line and the
application's own lines of one request join up; with traces on, a second filter adds the trace
and span ids, which join them to the request's trace.
"""

import logging
import time
from typing import Any

from flask import Flask, Response, request

from ..middleware import REQUEST_ID, STARTED, request_id

access_log = logging.getLogger(__name__.split(".")[0] + ".access")

TEXT_FORMAT = "%(message)s"
# JSON lines: these fields, plus whatever a log call passes in `extra` (the access line's).
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
TRACE_FIELDS = " %(trace_id)s %(span_id)s"
JSON_RENAMES = {"asctime": "timestamp", "levelname": "level", "name": "logger"}

ACCESS_FORMAT = '%s "%s %s" %s %.1fms request_id=%s'  # the access line's text
# The orchestrator's probes: asked every few seconds, their access lines are DEBUG.
PROBES = frozenset({"/healthz", "/readyz"})


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being served ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


def logging_config(log_format: str, level: str, traced: bool = False) -> dict[str, Any]:
    """Every logger, granian's too, to stderr in LOG_FORMAT: for dictConfig and granian.
    Traced, JSON lines also carry the trace and span ids of the span they were written in."""
    filters: dict[str, Any] = {"request_id": {"()": RequestIdFilter}}
    style: dict[str, Any] = {"format": TEXT_FORMAT}
    if log_format == "json":
        style = {
            "()": "pythonjsonlogger.orjson.OrjsonFormatter",
            "format": JSON_FIELDS + (TRACE_FIELDS if traced else ""),
            "rename_fields": JSON_RENAMES,
        }
    if traced:
        filters["trace_ids"] = {"()": f"{__package__}.traces.TraceIdFilter"}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "app",
        "filters": list(filters),
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"app": style},
        "handlers": {"app": handler},
        "root": {"handlers": ["app"], "level": level},
        "loggers": {
            # granian's own (it writes no access lines, unless asked: the app does, with its id)
            "_granian": {"handlers": ["app"], "level": level, "propagate": False},
        },
    }


def init_app(app: Flask) -> None:
    """Write an access line for every answer."""
    app.after_request(_access_line)


def _access_line(response: Response) -> Response:
    """One line per answer, with its status and time (probes' at DEBUG: an orchestrator asks
    them every few seconds). Below the level, nothing is gathered."""
    # The request itself, not its proxy: each attribute read through the proxy looks it up anew.
    served = request._get_current_object()  # type: ignore[attr-defined]
    rule = served.url_rule
    level = logging.DEBUG if rule and rule.rule in PROBES else logging.INFO
    if access_log.isEnabledFor(level):
        environ = served.environ
        now = time.perf_counter()
        elapsed_ms = round((now - environ.get(STARTED, now)) * 1000, 1)
        path, method, status = served.full_path.rstrip("?"), served.method, response.status_code
        remote_addr, request_id = served.remote_addr, environ.get(REQUEST_ID, "-")
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": elapsed_ms,
            "remote_addr": remote_addr,
            "request_id": request_id,  # known here: the filter need not look it up
        }
        arguments = (remote_addr, method, path, status, elapsed_ms, request_id)
        # The record made and handed to the handlers as Logger.log would, but without looking
        # for its caller in the stack (always this line): the line took 36 µs, now 26.
        record = access_log.makeRecord(
            access_log.name,
            level,
            __file__,
            0,
            ACCESS_FORMAT,
            arguments,
            None,
            func="_access_line",
            extra=fields,
        )
        access_log.handle(record)
    return response
