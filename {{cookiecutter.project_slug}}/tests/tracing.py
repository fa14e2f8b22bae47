"""The server command for the tests of traces, exporting to a receiver (collectors.py), and one
HTTP call."""

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

from collectors import Receiver
from test_cli import COMMAND, bound_url, production_env


def tracing_env(receiver: Receiver) -> dict[str, str]:
    """The SDK's own variables for a process that sends its spans to the receiver at once."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "50",  # milliseconds; the default is 5 s
        "OTEL_RESOURCE_ATTRIBUTES": "test.run=traces",
    }


class Command:
    """The server command in production mode on a free port, its JSON logs in
    tmp_path/server.log; started and stopped with others by `running`."""

    def __init__(
        self,
        tmp_path: Path,
        database: str,
        settings: dict[str, Any],
        *args: str,
        workers: int = 1,
        **variables: str,
    ) -> None:
        self.workers, self.log, self.url = workers, tmp_path / "server.log", ""
        self.command = [*COMMAND, "--port", "0", "--workers", str(workers), "--db", database, *args]
        self.env = production_env(
            settings,
            LOG_FORMAT="json",
            INSTANCE_PATH=str(tmp_path),
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
            **variables,
        )
        self.cwd = tmp_path
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        with self.log.open("w") as errors:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )

    def wait_ready(self) -> None:
        """Read the address it serves, then wait until its workers have booted: one that gets
        SIGTERM while it still makes its app has no handler yet, and dies without sending its
        spans."""
        assert self.process is not None
        self.url = bound_url(self.process, self.log)
        for _ in range(200):
            if self.log.read_text().count("Started worker") >= self.workers:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: the workers finish, then send their last spans."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        if self.process is not None:
            self.process.communicate(timeout=60)


@contextmanager
def running(*commands: Command) -> Iterator[None]:
    """Start the commands at once and wait until each serves; stop them at once on the way out
    (each takes most of a second to stop its workers)."""
    try:
        for command in commands:
            command.start()
        for command in commands:
            command.wait_ready()
        yield
    finally:
        for command in commands:
            command.stop()
        for command in commands:
            command.wait()


def call(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Message, Any]:
    """One HTTP request; its status, headers (names in any case) and JSON body (errors
    included)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or "null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or "null")
