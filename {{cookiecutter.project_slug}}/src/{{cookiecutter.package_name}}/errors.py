"""One error envelope: every error leaves as application/problem+json (RFC 9457)."""

from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .extensions import db

PROBLEM_MIMETYPE = "application/problem+json"

# Headers an HTTP error carries that the client needs (Allow on 405, Retry-After on 429/503...).
_KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate"})


class ProblemSchema(ma.Schema):
    """Document the problem+json body (RFC 9457) in the OpenAPI spec."""

    type = ma.fields.String(metadata={"description": "URI of the problem type"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem type"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong with this request"})
    errors = ma.fields.Dict(
        metadata={"description": "Field errors by location, e.g. {'json': {'name': [...]}}"}
    )


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    response.headers.update(headers or {})
    return response


def problem_for_http_exception(error: HTTPException) -> Response:
    """Convert any werkzeug or webargs HTTP error, routing errors included."""
    status = error.code or 500
    if status < 400:  # 304 Not Modified from an If-None-Match: no body, by definition
        return Response(status=status)
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() in _KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    messages = data.get("messages")
    if data.get("message"):
        detail = data["message"]
    elif messages:  # webargs: the field errors say it all
        detail = "The request has invalid parts; see errors."
    else:
        detail = error.description or HTTP_STATUS_CODES.get(status, "Error")
    return problem(status, detail, errors=messages, headers=headers)


def _database_unavailable(error: OperationalError) -> Response:
    """Answer 503 when the database cannot be reached, instead of a 500."""
    current_app.logger.warning("database unavailable: %s", error.orig)
    _rollback()
    return problem(503, "The database is unavailable; try again later.")


def _conflict(error: IntegrityError) -> Response:
    """Answer 409 when a write breaks a constraint, e.g. a concurrent duplicate."""
    current_app.logger.info("integrity error: %s", error.orig)
    _rollback()
    return problem(409, "The request conflicts with the current state of the resource.")


def _changed_meanwhile(error: StaleDataError) -> Response:
    """Answer 412 when another request changed the row between this one's check and write."""
    current_app.logger.info("concurrent update refused: %s", error)
    _rollback()
    return problem(412, "The resource changed meanwhile; get it again and retry.")


def _unexpected(error: Exception) -> Response:
    """Log the traceback; the client gets no exception text."""
    current_app.logger.exception("unhandled exception", exc_info=error)
    _rollback()
    return problem(500, "The server could not complete the request.")


def _rollback() -> None:
    """Leave the session usable after a failed database call."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a broken connection must not mask the original error
        current_app.logger.warning("rollback failed", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Register the non-HTTP handlers; HTTP errors come through extensions.Api."""
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(IntegrityError, _conflict)
    app.register_error_handler(StaleDataError, _changed_meanwhile)
    app.register_error_handler(Exception, _unexpected)
