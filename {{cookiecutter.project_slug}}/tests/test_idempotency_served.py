"""Idempotency keys through the server command: clients that hang up before the answer and
retry with their key create each resource once; two sending one key at once create one."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource
from tracing import Command, call, running

URL = "/api/resources/v1"
KEY = "Idempotency-Key"
CLIENTS = 16


@pytest.fixture(scope="module")
def served_command(
    prepared: Flask, migrated: str, served_auth: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The server command (2 workers): its URL, a writer's headers, its log."""
    here = tmp_path_factory.mktemp("idempotency")
    server = Command(here, migrated, served_auth.settings(), workers=2)
    with running(server):
        headers, _secrets = served_auth.over_http(server.url)
        yield server.url, headers, server.log


def hang_up_after_sending(base: str, body: bytes, headers: dict[str, str]) -> None:
    """Send a POST and close the connection before reading a byte of the answer."""
    address = urlsplit(base)
    lines = [
        f"POST {URL} HTTP/1.1",
        f"Host: {address.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def post_until_answered(
    base: str, name: str, headers: dict[str, str], log: Path
) -> tuple[int, Any, Any]:
    """POST with the key, waiting out the 409s of a first request still running (bounded)."""
    for _ in range(200):
        status, answer_headers, answer = call(base + URL, "POST", {"name": name}, headers)
        if status != 409 or "Retry-After" not in answer_headers:
            return status, answer, answer_headers.get("Location")
        time.sleep(float(answer_headers["Retry-After"]) / 10)
    raise AssertionError(f"{name}: still running after 200 tries\n{log.read_text()[-5000:]}")


def test_clients_that_hang_up_and_retry_create_each_resource_once(
    served_command: tuple[str, dict[str, str], Path], prepared: Flask
) -> None:
    """16 clients each send a create and hang up, then retry twice with the same key: both
    retries get the same 201 answer, and each resource exists once."""
    base, headers, log = served_command

    def one(number: int) -> list[tuple[int, Any, Any]]:
        name, keyed = f"cut-{number}", {**headers, KEY: f"cut-key-{number}"}
        hang_up_after_sending(base, json.dumps({"name": name}).encode(), keyed)
        return [post_until_answered(base, name, keyed, log) for _ in range(2)]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(one, range(CLIENTS)))
    for number, (retry, again) in enumerate(answers):
        assert retry == again, number
        assert retry[0] == 201 and retry[1]["name"] == f"cut-{number}"
    with prepared.app_context():
        names = list(db.session.scalars(select(Resource.name).where(Resource.name.like("cut-%"))))
    assert sorted(names) == sorted(f"cut-{number}" for number in range(CLIENTS))


def test_two_requests_with_one_key_at_once_create_one(
    served_command: tuple[str, dict[str, str], Path], prepared: Flask
) -> None:
    """One gets 201; the other 409 (the first still runs) or the same 201 again."""
    base, headers, _log = served_command
    keyed = {**headers, KEY: "at-once"}
    start = threading.Barrier(2)

    def send(_: int) -> tuple[int, Any]:
        start.wait()
        status, _headers, answer = call(base + URL, "POST", {"name": "at-once"}, keyed)
        return status, answer

    with ThreadPoolExecutor(max_workers=2) as pool:
        (first, second) = sorted(pool.map(send, range(2)), key=lambda answer: answer[0])
    assert first[0] == 201
    assert second[0] == 409 or second == first
    with prepared.app_context():
        query = select(Resource.name).where(Resource.name == "at-once")
        assert list(db.session.scalars(query)) == ["at-once"]
