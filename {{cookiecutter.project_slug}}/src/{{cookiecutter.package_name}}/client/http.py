"""Calling the API: one requests session, bearer credentials, and errors as one line.

A create is safe to retry: it carries a fresh Idempotency-Key, the same in each retry, so the
API answers a retry of a create it has done with that create's answer instead of doing it
again. It is retried after a connection error or a 502, 503 or 504 (a replica stopping, a load
balancer without one), or a 409 with Retry-After (the first try still running), waiting
exponential backoff with full jitter, or the Retry-After the API asked for.
"""

import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import click
import requests

TIMEOUT_SECONDS = 30.0
IDEMPOTENCY_KEY = "Idempotency-Key"
RETRIES = 5
BACKOFF_SECONDS = 0.5  # the first retry's longest wait; each retry doubles it
MAX_WAIT_SECONDS = 10.0
RETRIED_STATUSES = frozenset({502, 503, 504})


def emit(data: Any) -> None:
    """JSON on stdout, for people and for jq alike."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


class ClientError(click.ClickException):
    """A failure the user can act on: one line on stderr, exit status 1, never a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # exactly one line, whatever the server sent

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class Unreachable(ClientError):
    """No answer came: the connection failed or broke."""


class Credentials(Protocol):
    """What a logged-in caller adds to requests (see the auth backend's module)."""

    def headers(self) -> dict[str, str]: ...

    def refresh(self, api: "Api") -> bool:
        """Get a new access token after a 401; False if there is no way to."""
        ...


class Api:
    """The API at url: send() returns any answer, call() only a successful one's JSON."""

    def __init__(self, url: str, credentials: Credentials | None = None) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json, application/problem+json"

    def send(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """One request to the API (a path) or elsewhere (a URL); network failures become errors."""
        url = path_or_url if "://" in path_or_url else self.url + path_or_url
        try:
            return self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            reason = error.__class__.__name__
            raise Unreachable(f"cannot reach {url} ({reason}); is the server running?") from None

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        retry: bool = False,
        **kwargs: Any,
    ) -> tuple[Any, requests.Response]:
        """Send with the stored token; on 401 refresh it once and retry; raise on any error.
        With retry, also try again where no answer or a passing failure came (see above)."""

        def attempt() -> requests.Response:
            sent = {**(self.credentials.headers() if self.credentials else {}), **(headers or {})}
            return self.send(method, path, headers=sent, **kwargs)

        def send() -> requests.Response:
            return retrying(attempt) if retry else attempt()

        response = send()
        if response.status_code == 401 and self.credentials and self.credentials.refresh(self):
            response = send()
        if response.status_code >= 400:
            raise ClientError(problem_line(response))
        if response.status_code == 204 or not response.content:
            return None, response
        return json_body(response), response

    def create(self, path: str, body: dict[str, Any]) -> Any:
        """POST what creates something, with a fresh Idempotency-Key; retried safely."""
        headers = {IDEMPOTENCY_KEY: uuid.uuid4().hex}
        return self.call("POST", path, json=body, headers=headers, retry=True)[0]


def retrying(attempt: Callable[[], requests.Response]) -> requests.Response:
    """attempt() until it answers other than a passing failure, at most RETRIES times more."""
    for number in range(RETRIES):
        try:
            response = attempt()
        except Unreachable:
            wait = backoff(number)
        else:
            busy = response.status_code == 409 and "Retry-After" in response.headers
            if response.status_code not in RETRIED_STATUSES and not busy:
                return response
            wait = retry_after(response) or backoff(number)
        time.sleep(wait)
    return attempt()


def backoff(number: int) -> float:
    """The wait before retry number (from 0): full jitter over a doubling bound."""
    return random.uniform(0, min(MAX_WAIT_SECONDS, BACKOFF_SECONDS * 2**number))


def retry_after(response: requests.Response) -> float | None:
    """The seconds the API asked to wait (Retry-After in seconds), bounded."""
    try:
        return min(MAX_WAIT_SECONDS, max(0.0, float(response.headers["Retry-After"])))
    except (KeyError, ValueError):
        return None


def json_body(response: requests.Response) -> Any:
    """The answer's JSON; anything else (an HTML error page from a proxy) is an error."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise ClientError(f"HTTP {response.status_code}: the answer is not JSON ({kind})") from None


def problem_line(response: requests.Response) -> str:
    """HTTP status and the problem's detail (RFC 9457), with the field errors if there are any."""
    line = f"HTTP {response.status_code}"
    try:
        problem = response.json()
    except ValueError:
        return f"{line} (not a problem document)"
    if not isinstance(problem, dict):
        return line
    if title := problem.get("title"):
        line += f" {title}"
    if detail := problem.get("detail") or problem.get("error_description"):
        line += f": {detail}"
    if errors := problem.get("errors"):
        line += f" {json.dumps(errors, sort_keys=True)}"
    return line
