"""Request handling every route shares: request ids, version and security headers, JSON bodies,
proxies, and no cookie sessions."""

import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson
from flask import Flask, Request, Response, current_app, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface, SessionMixin
from flask.views import MethodView
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# A client-supplied id is echoed only if it is short and plain, so it cannot forge log lines.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# WSGI environ keys: the request's id and the time its handling started (Envelope).
REQUEST_ID = f"{__package__}.request_id"
STARTED = f"{__package__}.started"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
FORM = "application/x-www-form-urlencoded"
_FORM_BODY = "accepts_form_body"  # set on a view that takes FORM (accepts_form)
# No browser may read an answer as another type than it declares (a JSON body as a script).
NOSNIFF = ("X-Content-Type-Options", "nosniff")
# A year of HTTPS only, once a browser has reached the app over HTTPS; preload is the
# operator's decision (it is hard to undo), so it is not asked for.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# The json.dumps arguments JSONProvider.dumps takes to orjson (its output is always compact).
_ORJSON_ARGUMENTS = frozenset({"default", "ensure_ascii", "indent", "separators", "sort_keys"})


class Envelope:
    """The outermost layer of the app: serve /x/ as /x (clients are neither redirected nor
    refused for a trailing slash), take the caller's request id or make one, start the clock,
    and stamp the id, the version and the security headers on every answer, whatever answered
    it. HSTS goes with answers over HTTPS only (the server's TLS, or a proxy's X-Forwarded-Proto
    through ProxyFix, which wraps this layer), or all of them when https_only says a TLS proxy
    fronts the app (PREFERRED_URL_SCHEME=https); browsers ignore it over plain HTTP.

    The id and the start time are kept in the WSGI environ (REQUEST_ID, STARTED), where the
    logs and metrics read them.
    """

    def __init__(self, app: "WSGIApplication", version: str, https_only: bool = False) -> None:
        self.app, self.version, self.https_only = app, version, https_only

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        environ[STARTED] = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        supplied = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = supplied if _REQUEST_ID.fullmatch(supplied) else secrets.token_hex(16)
        environ[REQUEST_ID] = request_id
        stamp = [("X-Request-ID", request_id), ("X-App-Version", self.version), NOSNIFF]
        if self.https_only or environ.get("wsgi.url_scheme") == "https":
            stamp.append(HSTS)

        def stamped(
            status: str, headers: list[tuple[str, str]], exc_info: "OptExcInfo | None" = None
        ) -> Callable[[bytes], object]:
            return start_response(status, headers + stamp, exc_info)

        return self.app(environ, stamped)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, written by orjson and refusing as bad input (400) what would otherwise
    crash further on.

    orjson writes a page of 20 items in 3 µs where the json module takes 36: the same JSON (keys
    sorted as Flask sorts them, dates and dataclasses through Flask's own default), in UTF-8
    rather than ASCII escapes. What orjson refuses (an integer beyond 64 bits, a lone surrogate)
    the json module writes, as before.

    Too deep a nesting exhausts the recursion limit; an unpaired surrogate escape ("\\ud800")
    parses into a str that no database driver can encode. Flask answers a ValueError with 400.
    """

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs.keys() <= _ORJSON_ARGUMENTS:  # a custom encoder class, say
            return super().dumps(obj, **kwargs)
        option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
        option |= orjson.OPT_PASSTHROUGH_DATACLASS
        if kwargs.get("sort_keys", self.sort_keys):
            option |= orjson.OPT_SORT_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        try:
            written = orjson.dumps(obj, default=kwargs.get("default", self.default), option=option)
        except TypeError:
            return super().dumps(obj, **kwargs)
        return written.decode()

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


class Arguments(ImmutableMultiDict[str, str]):
    """A request's query (and form) arguments as werkzeug keeps them, but for get() of an absent
    key: werkzeug raises and catches an HTTP exception (BadRequestKeyError) for each, and webargs
    asks for every argument a route declares, most of them absent on most requests. Half the
    time of reading a list's query arguments went there."""

    def get(  # type: ignore[override]
        self, key: str, default: Any = None, type: Callable[[str], Any] | None = None
    ) -> Any:
        if key not in self:
            return default
        return super().get(key, default) if type is None else super().get(key, default, type)


class APIRequest(Request):
    parameter_storage_class = Arguments


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
    """Install the envelope and the hooks and, behind reverse proxies, trust their X-Forwarded-*
    headers."""
    app.json = JSONProvider(app)
    app.request_class = APIRequest
    app.session_interface = NoSessions()
    https_only = app.config["PREFERRED_URL_SCHEME"] == "https"
    app.wsgi_app = Envelope(  # type: ignore[method-assign]
        app.wsgi_app, app.config["API_VERSION"], https_only
    )
    proxies = app.config["PROXY_FIX_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    app.before_request(_require_json_body)


def request_id() -> str | None:
    """The id of the request being served, if any."""
    return request.environ.get(REQUEST_ID) if has_request_context() else None


def accepts_form(view: type[MethodView]) -> type[MethodView]:
    """Let a MethodView take a FORM body too: OAuth 2's token requests are sent as one."""
    setattr(view, _FORM_BODY, True)
    return view


def _require_json_body() -> None:
    """Refuse a body that is not JSON with 415 rather than a confusing validation error."""
    if request.method in _BODY_METHODS and not request.is_json:
        # No route, or not this method: 404 or 405 says more. A route may take a form instead.
        if request.routing_exception is not None or (request.mimetype == FORM and _takes_form()):
            return
        if request.content_length or "chunked" in request.headers.get("Transfer-Encoding", ""):
            raise UnsupportedMediaType("Send the request body as application/json.")


def _takes_form() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(getattr(view, "view_class", None), _FORM_BODY, False))
