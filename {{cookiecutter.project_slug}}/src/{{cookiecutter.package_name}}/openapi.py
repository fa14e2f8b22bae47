"""flask-smorest set up so the OpenAPI document tells the truth about errors and bodies.

Errors leave as application/problem+json (errors.py), so that is how the shared error responses
are documented; every operation with a JSON body also documents the 400/413/415 the shared
request handling answers before validation; and bodies are parsed once, by Flask. The document
is adjusted through apispec's plugin helpers (ProblemDocuments, BodyErrors), never through
flask-smorest's internals.
"""

import http
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask import Request
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import BadRequest, HTTPException

from .errors import PROBLEM_MIMETYPE, ProblemSchema, problem_for_http_exception

View = TypeVar("View", bound=Callable[..., Any])

# RFC 9110 If-Match: * or a comma-separated list of entity-tags, e.g. "abc", W/"def".
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_VALUE = rf"^(?:\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*)$"

# The type flask-smorest documents its shared error responses with (ProblemDocuments).
JSON = flask_smorest.Api.DEFAULT_RESPONSE_CONTENT_TYPE
# Answered by middleware and Flask for any JSON body: malformed, too large, not JSON.
BODY_ERRORS = (400, 413, 415)


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering and documenting HTTP errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_for_http_exception(error)


class Parser(FlaskParser):
    """webargs' Flask parser: JSON read once by the app's provider, unknown query names refused.

    webargs ignores unknown query parameters by default; refusing them (422), as unknown body
    fields are, keeps a misspelt ?page_sise=5 from passing silently.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def load_json(self, req: Request, schema: Schema) -> Any:
        """The body as the app's JSON provider read it (webargs' public location loader: its
        own JSON reading goes through hooks it documents as internal)."""
        if not req.is_json:
            return core.missing
        try:
            return req.get_json()
        except BadRequest as error:  # malformed, or nested too deeply (middleware.JSONProvider)
            abort(400, exc=error, messages={"json": ["Invalid JSON body."]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the project's parser, schema instances made once, and a
    way to document errors."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Callable[[View], View]:
        """As flask-smorest's, with one schema instance for all requests: given a class,
        webargs would build an instance on every request (tens of microseconds each)."""
        decorator: Callable[[View], View] = super().arguments(
            resolve_schema_instance(schema), *args, **kwargs
        )
        return decorator

    def problems(self, *statuses: int) -> Callable[[View], View]:
        """Document the errors a view answers, each as the shared problem+json response."""

        def decorator(view: View) -> View:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorator


class ProblemDocuments(BasePlugin):
    """apispec plugin: what flask-smorest registers is documented as this API answers it.

    Its shared error responses are sent as problem+json (errors.py), not as JSON; an If-Match
    header must be * or entity-tags (RFC 9110): any other value names no version, so it gets 428
    or 412, never 2xx. apispec calls these helpers for every component registered.
    """

    def response_helper(self, response: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        content = response.get("content", {})
        if JSON not in content:
            return None
        return {"content": {PROBLEM_MIMETYPE: content[JSON]}}

    def parameter_helper(self, parameter: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        if parameter.get("in") != "header" or parameter.get("name") != "If-Match":
            return None
        return {"schema": {**parameter.get("schema", {}), "pattern": IF_MATCH_VALUE}}


class BodyErrors(BasePlugin):
    """apispec plugin: an operation that takes a JSON body documents the errors of any body."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            if "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            for status in BODY_ERRORS:
                if status not in responses and str(status) not in responses:
                    responses[status] = http.HTTPStatus(status).name
