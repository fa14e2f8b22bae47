"""Servers under gunicorn on 127.0.0.1, each stopped by its PID, and wrk to drive them."""

import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PYTHON = sys.executable
START_TIMEOUT = 60  # seconds for a server to answer /healthz
STOP_TIMEOUT = 15
ROWS = 100
WRK = ["wrk", "-t2", "-c16"]
BOUND = re.compile(r"(?:Serving on|Listening at:) (http://[\d.:]+)")


class BenchError(RuntimeError):
    """A server or a load run did not behave: the figures would not mean anything."""


def seed(database: Path, rows: int = ROWS) -> None:
    """Fill the resources table with rows, as the API would store them (UTC, no zone)."""
    stamp = "2025-01-01 00:00:00.000000"
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO resources (name, description, owner, created_at, updated_at, version)"
            " VALUES (?, ?, NULL, ?, ?, 1)",
            [(f"resource-{n:03d}", f"Resource number {n}.", stamp, stamp) for n in range(rows)],
        )


class Server:
    """One server process: start() spawns it, ready() waits for /healthz, stop() ends it by PID.

    Each binds port 0, once, before forking: its URL is the address it logs (`Serving on URL`
    from the generated command, gunicorn's own `Listening at: URL` from the bare ones).
    """

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.command, self.cwd, self.env, self.log, self.url = command, cwd, env, log, ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=output, stderr=output
            )

    def ready(self) -> str:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            found = BOUND.search(self.log.read_text())
            if found and _answers(found.group(1) + "/healthz"):
                self.url = found.group(1)
                return self.url
            time.sleep(0.2)
        raise BenchError(
            f"{' '.join(self.command)} did not answer:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(servers: dict[str, Server]) -> Iterator[dict[str, str]]:
    """Start every server at once (they warm up in parallel); yield their URLs; stop them all."""
    try:
        for server in servers.values():
            server.start()
        yield {name: server.ready() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def gunicorn(app: str) -> list[str]:
    """The floor's command: the same gunicorn settings as the generated project's.

    --preload: the app is made once, before the fork, as the generated command makes it. Made
    in each worker, the floor's create_all can run twice at once on one SQLite file; a worker
    losing that race fails to boot, and gunicorn's master then exits mid-run.
    """
    return [PYTHON, "-m", "gunicorn", "--preload", "--workers", "2", "--bind", "127.0.0.1:0", app]


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None) -> float:
    """Requests per second over seconds; any non-2xx answer makes the run worthless."""
    command = [*WRK, f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if result.returncode != 0 or rate is None:
        raise BenchError(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise BenchError(f"wrk saw errors on {url}:\n{result.stdout}")
    return float(rate.group(1))
