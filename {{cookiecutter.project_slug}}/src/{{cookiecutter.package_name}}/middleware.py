"""Request handling every route shares: request ids, version header, JSON bodies, proxies,
and no cookie sessions."""

import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# A client-supplied id is echoed only if it is short and plain, so it cannot forge log lines.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class IgnoreTrailingSlash:
    """Serve /x/ as /x: clients are neither redirected nor refused for a trailing slash."""

    def __init__(self, app: "WSGIApplication") -> None:
        self.app = app

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        return self.app(environ, start_response)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing as bad input (400) what would otherwise crash further on.

    Too deep a nesting exhausts the recursion limit; an unpaired surrogate escape ("\\ud800")
    parses into a str that no database driver can encode. Flask answers a ValueError with 400.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
        text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
        if _SURROGATE_ESCAPE.search(text):  # rare: check the parsed strings precisely
            try:
                super().dumps(data, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                raise ValueError("the JSON holds an unpaired surrogate") from None
        return data


class NoSessions(SessionInterface):
    """The API is stateless (callers send bearer tokens): no request opens a cookie session.

    Flask would otherwise build a signing serializer on every request once SECRET_KEY is set;
    `flask.session` is a read-only null session instead.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Never called: Flask saves no null session."""


def init_app(app: Flask) -> None:
    """Install the hooks and, behind reverse proxies, trust their X-Forwarded-* headers."""
    app.json = JSONProvider(app)
    app.session_interface = NoSessions()
    app.wsgi_app = IgnoreTrailingSlash(app.wsgi_app)  # type: ignore[method-assign]
    proxies = app.config["PROXY_FIX_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    app.before_request(_start)
    app.before_request(_require_json_body)
    app.after_request(_finish)


def _start() -> None:
    """Take the caller's request id or make one, and start the clock."""
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _require_json_body() -> None:
    """Refuse a body that is not JSON with 415 rather than a confusing validation error."""
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if request.method in _BODY_METHODS and has_body and not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")


def _finish(response: Response) -> Response:
    """Stamp the version and request id on the response."""
    response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-App-Version"] = current_app.config["API_VERSION"]
    return response
