"""What the API tells its operators, one module per signal, wired by init_app in one call:

- logs.py: the access line and every other line, as text or JSON, with the request id (and the
  trace and span ids when traces are on);
- metrics.py: Prometheus counts per route template and status at /metrics;
- sentry.py: error reports when SENTRY_DSN is set;
- traces.py: OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set.
"""

from flask import Flask

from . import logs, metrics, sentry, traces
from .logs import logging_config

__all__ = ["init_app", "logging_config"]


def init_app(app: Flask) -> None:
    """Switch on each signal its settings ask for. Called before the database extension: the
    traces follow the engines it makes."""
    traced = traces.init_app(app)
    if app.config["SENTRY_DSN"]:
        sentry.init_app(app, traced)
    metrics.init_app(app)
    logs.init_app(app)
