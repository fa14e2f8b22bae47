"""The client command against the app served over real HTTP: JSON out, errors in one line."""

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from client_cli import ClientCLI
from {{ cookiecutter.package_name }}.client.cli import backend
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource
from serving import serving
from test_cli import child_env


def test_every_command_has_help(client_cli: ClientCLI) -> None:
    """--help works at every level and lists the commands below it."""
    top = client_cli("--help")
    assert top.exit_code == 0
    logins = [command.name for command in backend.COMMANDS]  # none with auth=none
    for command in ("greeting", "resources", *logins):
        assert f"  {command} " in top.stdout
    for command in ("list", "get", "create", "update", "delete"):
        assert command in client_cli("resources", "--help").stdout
        assert client_cli("resources", command, "--help").exit_code == 0


def test_greetings(client_cli: ClientCLI) -> None:
    assert client_cli.json("greeting", "--version", "1", "--name", "Ada") == {
        "message": "Hello, Ada!"
    }
    assert client_cli.json("greeting")["text"] == "Hello, World!"


def test_a_resource_round_trip(client_cli: ClientCLI) -> None:
    """Create, get, list, update (If-Match from a GET), delete: then it is a 404."""
    created = client_cli.json("resources", "create", "--name", "first", "--description", "one")
    resource_id = str(created["id"])
    assert client_cli.json("resources", "get", resource_id) == created
    page = client_cli.json("resources", "list", "--page-size", "5", "--count")
    assert (page["items"], page["total"], page["page_size"], page["next"]) == (
        [created],
        1,
        5,
        None,
    )
    updated = client_cli.json("resources", "update", resource_id, "--description", "changed")
    assert (updated["name"], updated["description"]) == ("first", "changed")
    deleted = client_cli("resources", "delete", resource_id)
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    missing = client_cli("resources", "get", resource_id)
    assert missing.exit_code == 1
    assert missing.stderr == f"error: HTTP 404 Not Found: Resource {resource_id} does not exist.\n"


def test_list_all_follows_next_to_the_end(client_cli: ClientCLI) -> None:
    """--all streams every page by cursor: one JSON item per line, in the order asked."""
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    for name in names:
        client_cli.json("resources", "create", "--name", name)
    result = client_cli("resources", "list", "--all", "--page-size", "2", "--sort", "-name")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["name"] for line in result.stdout.splitlines()] == sorted(
        names, reverse=True
    )


def test_an_error_is_one_line_with_status_and_detail(client_cli: ClientCLI) -> None:
    client_cli.json("resources", "create", "--name", "twice")
    duplicate = client_cli("resources", "create", "--name", "twice")
    assert duplicate.exit_code == 1
    conflict = "HTTP 409 Conflict: A resource named 'twice' already exists."
    assert duplicate.stderr == f"error: {conflict}\n"
    invalid = client_cli("resources", "list", "--page-size", "101")
    assert invalid.exit_code == 1
    assert invalid.stderr.startswith("error: HTTP 422 ") and "page_size" in invalid.stderr
    assert invalid.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["resources", "get", "abc"],
        ["resources", "get", "0"],
        ["resources", "update", "1"],
        ["resources", "create"],
        ["greeting", "--version", "x"],
        ["no-such-command"],
    ],
)
def test_a_usage_error_exits_2(client_cli: ClientCLI, args: list[str]) -> None:
    assert client_cli(*args).exit_code == 2


def test_a_server_that_is_down_is_one_line_without_traceback() -> None:
    """The installed command's module, as a real process, against a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.client", "resources", "list"],
        env=child_env(API_URL=f"http://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot reach http://127.0.0.1:{port}/")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


ANSWERS = {
    "/html-502": Response("<html>Bad gateway</html>", 502, mimetype="text/html"),
    "/html-200": Response("<html>Hello</html>", 200, mimetype="text/html"),
    "/problem-500": Response(
        '{"title": "Internal Server Error", "detail": "boom"}',
        500,
        mimetype="application/problem+json",
    ),
}


@pytest.fixture(scope="module")
def broken_server() -> Iterator[str]:
    """A server that answers as a broken proxy or server would, whatever the path prefix."""

    @Request.application
    def answer(request: Request) -> Response:
        return next(v for k, v in ANSWERS.items() if request.path.startswith(k))

    with serving(answer) as url:
        yield url


@pytest.mark.parametrize(
    ("prefix", "line"),
    [
        ("/html-502", "error: HTTP 502 (not a problem document)\n"),
        ("/html-200", "error: HTTP 200: the answer is not JSON (text/html; charset=utf-8)\n"),
        ("/problem-500", "error: HTTP 500 Internal Server Error: boom\n"),
    ],
)
def test_a_broken_answer_is_one_line(
    broken_server: str, tmp_path: Path, prefix: str, line: str
) -> None:
    client = ClientCLI(broken_server + prefix, tmp_path)
    result = client("resources", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", line)


class LosingAnswers:
    """In front of the app: the first `lose` POSTs that carry an Idempotency-Key reach it, but
    their answers are lost (a 503 comes back instead, as from a load balancer whose replica
    stopped mid-answer). Every key sent is noted."""

    def __init__(self, app: Any, lose: int) -> None:
        self.app, self.lose, self.keys = app, lose, list[str]()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        key = environ.get("HTTP_IDEMPOTENCY_KEY")
        if environ["REQUEST_METHOD"] != "POST" or key is None:
            return self.app(environ, start_response)
        self.keys.append(key)
        if len(self.keys) > self.lose:
            return self.app(environ, start_response)
        answer = self.app(environ, lambda *_args, **_kwargs: None)
        b"".join(answer)  # the app answered in full
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"the answer was lost"]


def test_a_create_whose_answer_is_lost_is_retried_with_its_key_and_made_once(
    prepared: Flask, served_auth: Any, tmp_path: Path
) -> None:
    """The client retries a create after a 503, with the key it sent first: the API answers
    the retry with the create it made, and the resource exists once."""
    front = LosingAnswers(prepared, lose=2)
    with serving(front) as url:
        client = ClientCLI(url, tmp_path / "config")
        served_auth.login(client)
        created = client.json("resources", "create", "--name", "retried")
    assert created["name"] == "retried"
    assert len(front.keys) == 3 and len(set(front.keys)) == 1, front.keys
    with prepared.app_context():
        query = select(Resource.id).where(Resource.name == "retried")
        assert len(list(db.session.scalars(query))) == 1
