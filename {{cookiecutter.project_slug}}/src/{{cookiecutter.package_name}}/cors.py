"""Cross-origin access to /api/... for the browser origins named by CORS_ORIGINS, by flask-cors.

Callers send bearer tokens in the Authorization header, never cookies: no answer allows
credentials, so `*` (any origin) is safe on its own. A preflight answers the methods of the
route asked about; the request and response headers a single-page app needs for tokens,
conditional requests, paging and support tickets are allowed and exposed.
"""

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_cors import CORS
from marshmallow import ValidationError

from .config import Setting, Settings

WILDCARD = "*"
API_ROUTES = r"/api/*"
ALLOW_HEADERS = ("Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-ID")
EXPOSE_HEADERS = ("ETag", "Location", "Link", "X-Request-ID")
# How long a browser may reuse a preflight (Chromium caps it at two hours).
PREFLIGHT_MAX_AGE = 600
_ALLOW_METHODS = "Access-Control-Allow-Methods"


def parse_origins(value: str | Iterable[str]) -> list[str]:
    """The origins in a list or a comma-separated string: each scheme://host[:port] as a
    browser sends it in Origin, or `*` alone. ValueError names the first that is not."""
    items = value.split(",") if isinstance(value, str) else value
    origins = [item.strip() for item in items if item.strip()]
    if WILDCARD in origins and len(origins) > 1:
        raise ValueError("* allows every origin: list it alone")
    for origin in origins:
        if origin != WILDCARD and not _is_origin(origin):
            raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
    return origins


def _is_origin(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and not (parts.username or parts.password or parts.query or parts.fragment)
        and parts.path == ""
        and value == f"{parts.scheme}://{parts.netloc}"
    )


def _check(value: list[str]) -> None:
    try:
        parse_origins(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


SETTINGS: Settings = {
    # Comma-separated; empty: no browser on another origin may call the API.
    "CORS_ORIGINS": Setting("list", [], _check),
}


def init_app(app: Flask) -> None:
    """Answer CORS on the API routes for CORS_ORIGINS (set from anywhere: checked here)."""
    try:
        origins = parse_origins(app.config["CORS_ORIGINS"])
    except ValueError as error:
        raise RuntimeError(f"CORS_ORIGINS: {error}") from None
    app.config["CORS_ORIGINS"] = origins
    if not origins:
        return
    # Registered before flask-cors's own hook, so it runs after it (Flask runs them in reverse).
    app.after_request(_route_methods)
    CORS(
        app,
        resources=API_ROUTES,
        origins=[WILDCARD] if WILDCARD in origins else [_exactly(o) for o in origins],
        send_wildcard=WILDCARD in origins,
        allow_headers=list(ALLOW_HEADERS),
        expose_headers=list(EXPOSE_HEADERS),
        supports_credentials=False,
        max_age=PREFLIGHT_MAX_AGE,
        always_send=False,  # a request with no Origin is no browser's: nothing to allow
    )


def _exactly(origin: str) -> Any:
    """The origin as a whole-string, case-blind pattern: flask-cors would read a literal holding
    "[" (an IPv6 host) as a regular expression, and adds Vary: Origin only for patterns, which
    a cache needs whenever the answer depends on the Origin."""
    return re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)


def _route_methods(response: Response) -> Response:
    """flask-cors answers a preflight with one list of methods for every route; Flask's own
    answer to OPTIONS names the route's (Allow), so the browser learns those."""
    if request.method == "OPTIONS" and _ALLOW_METHODS in response.headers:
        response.headers[_ALLOW_METHODS] = response.headers.get("Allow", "")
    return response
