"""Error reports to Sentry when SENTRY_DSN is set.

Sentry's logging integration reports every ERROR line, so the unexpected exception errors.py
logs (a 500) is sent, tagged with its request id (and its trace and span ids when traces are on);
a 4xx logs no error and sends nothing.
"""

from typing import TYPE_CHECKING, cast

from flask import Flask

from ..middleware import request_id
from . import traces

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Request parts that never leave for the error tracker, whatever the SDK's defaults.
PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def init_app(app: Flask, traced: bool) -> None:
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
        before_send=scrub_traced if traced else scrub,
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


def scrub_traced(event: "Event", hint: "Hint") -> "Event":
    """Scrub, and tag the report with the trace and span it happened in."""
    event = scrub(event, hint)
    if ids := traces.current_ids():
        event.setdefault("tags", {}).update(ids)
    return event
