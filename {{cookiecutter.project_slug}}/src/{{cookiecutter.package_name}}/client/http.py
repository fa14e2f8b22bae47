"""Calling the API: one requests session, bearer credentials, and errors as one line."""

import json
from typing import Any, Protocol

import click
import requests

TIMEOUT_SECONDS = 30.0


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
            raise ClientError(f"cannot reach {url} ({reason}); is the server running?") from None

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, requests.Response]:
        """Send with the stored token; on 401 refresh it once and retry; raise on any error."""

        def attempt() -> requests.Response:
            sent = {**(self.credentials.headers() if self.credentials else {}), **(headers or {})}
            return self.send(method, path, headers=sent, **kwargs)

        response = attempt()
        if response.status_code == 401 and self.credentials and self.credentials.refresh(self):
            response = attempt()
        if response.status_code >= 400:
            raise ClientError(problem_line(response))
        if response.status_code == 204 or not response.content:
            return None, response
        return json_body(response), response


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
