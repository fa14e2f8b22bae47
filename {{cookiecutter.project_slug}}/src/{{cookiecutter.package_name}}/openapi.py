"""flask-smorest set up so the OpenAPI document tells the truth about errors and bodies.

Errors leave as application/problem+json (errors.py), so that is how the shared error responses
are documented; every operation with a JSON body also documents the 400/413/415 the shared
request handling answers before validation; and bodies are parsed once, by Flask.
"""

import http
from collections.abc import Callable
from typing import Any, TypeVar

import flask
import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask import Request
from flask_smorest.etag import IF_MATCH_HEADER, IF_NONE_MATCH_HEADER
from swagger_ui_bundle import swagger_ui_path
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import BadRequest, HTTPException

from .errors import PROBLEM_MIMETYPE, ProblemSchema, problem_for_http_exception

View = TypeVar("View", bound=Callable[..., Any])

# RFC 9110 If-Match: * or a comma-separated list of entity-tags, e.g. "abc", W/"def".
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_VALUE = rf"^(?:\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*)$"

# Swagger UI's files, from the swagger-ui-bundle package: /docs works with no outside network.
SWAGGER_UI_ASSETS = "/docs/assets"
swagger_ui = flask.Blueprint(
    "swagger_ui", __name__, static_folder=str(swagger_ui_path), static_url_path=SWAGGER_UI_ASSETS
)

# Answered by middleware and Flask for any JSON body: malformed, too large, not JSON.
BODY_ERRORS = (400, 413, 415)


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering and documenting HTTP errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_for_http_exception(error)

    def _register_responses(self) -> None:
        """Register a response per status, as flask-smorest does, with the type errors use."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_MIMETYPE: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        default = {
            "description": "Unexpected error",
            "content": {PROBLEM_MIMETYPE: {"schema": self.ERROR_SCHEMA}},
        }
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

    def _register_etag_headers(self) -> None:
        """Register the conditional headers as flask-smorest does, If-Match with its grammar.

        A value that is not * or entity-tags (RFC 9110) names no version: 428 or 412, not 2xx.
        """
        self.spec.components.parameter("IF_NONE_MATCH", "header", IF_NONE_MATCH_HEADER, lazy=True)
        if_match = {**IF_MATCH_HEADER, "schema": {"type": "string", "pattern": IF_MATCH_VALUE}}
        self.spec.components.parameter("IF_MATCH", "header", if_match, lazy=True)


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

    def _raw_load_json(self, req: Request) -> Any:
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
