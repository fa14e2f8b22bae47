"""Told to stop, the server command drains: /readyz answers 503 at once in every worker, it
serves on for DRAIN_SECONDS, then finishes what it has and exits 0. Nothing it took is lost."""

import json
import threading
import time
import urllib.error
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource
from tracing import Command, call

URL = "/api/resources/v1"
DRAIN_SECONDS = 3
CLIENTS = 16


class Clients:
    """CLIENTS threads creating and listing without pause, each request with its own id; what
    each got back (a status, or the error of a request that got no answer) kept by that id."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = base, headers
        self.answers: dict[str, int] = {}
        self.creates: set[str] = set()  # ids of the creates answered 201
        self.failures: dict[str, str] = {}
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(CLIENTS)]

    def run(self, number: int) -> None:
        sent = 0
        while not self.stopping.is_set() and sent < 5000:
            request_id = f"drain-{number}-{sent}"
            create = sent % 2 == 0
            body = {"name": request_id} if create else None
            headers = {**self.headers, "X-Request-ID": request_id}
            try:
                status, _headers, _body = call(
                    self.base + URL, "POST" if create else "GET", body, headers
                )
            except (OSError, json.JSONDecodeError) as error:
                self.failures[request_id] = repr(error)
                if isinstance(getattr(error, "reason", error), ConnectionRefusedError):
                    return  # the server is gone: nothing listens any more
            else:
                self.answers[request_id] = status
                if create and status == 201:
                    self.creates.add(request_id)
            sent += 1

    def __enter__(self) -> "Clients":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def readiness(base: str) -> int:
    """The status /readyz answers (0: no answer)."""
    try:
        return call(base + "/readyz")[0]
    except (OSError, urllib.error.URLError):
        return 0


def test_a_stopped_server_drains_and_loses_nothing_it_took(
    prepared: Flask, migrated: str, served_auth: Any, tmp_path: Path
) -> None:
    """Under 16 clients creating and listing: after SIGTERM /readyz answers 503 in every
    worker, while the server still answers requests; it exits 0 after the drain. Every request
    the app handled (its id in the access log) got its answer, no answer was a 5xx, and the
    resources created are exactly those acknowledged."""
    server = Command(
        tmp_path, migrated, served_auth.settings(), workers=2, DRAIN_SECONDS=str(DRAIN_SECONDS)
    )
    server.start()
    try:
        server.wait_ready()
        headers, _secrets = served_auth.over_http(server.url)
        with Clients(server.url, headers) as clients:
            time.sleep(0.5)
            assert readiness(server.url) == 200
            stopped = len(clients.answers)
            server.stop()
            stopped_at, polls = time.monotonic(), list[int]()
            while time.monotonic() - stopped_at < DRAIN_SECONDS / 2:
                polls.append(readiness(server.url))
            assert server.process is not None
            exit_code = server.process.wait(timeout=DRAIN_SECONDS + 30)
            served_while_draining = len(clients.answers) - stopped
    finally:
        server.stop()
        server.wait()
    assert exit_code == 0, server.log.read_text()[-3000:]
    # A poll may have come before the signal was handled; from the first 503 on, every worker
    # (a poll reaches either) answers 503 until the drain ends.
    assert 503 in polls, polls
    unready = polls[polls.index(503) :]
    assert set(unready) == {503} and len(unready) >= 3, polls
    assert served_while_draining > 0
    assert not [status for status in clients.answers.values() if status >= 500]
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]
    handled = {
        line["request_id"]
        for line in lines
        if str(line.get("request_id", "")).startswith("drain-") and "status" in line
    }
    assert handled, "the access lines name the requests"
    assert not handled - set(clients.answers), "a request the app handled lost its answer"
    with prepared.app_context():
        names = db.session.scalars(select(Resource.name).where(Resource.name.like("drain-%")))
        assert set(names) == clients.creates
