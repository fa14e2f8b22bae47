"""A container of a baked project's image, run with podman and checked from outside over HTTP.

It runs with host networking on a free port (the image reads PORT), so it reaches the harness's
database servers and test identity provider on 127.0.0.1 as a process on the machine would. The
port lies below the kernel's ephemeral range, so no other test's bind(0) or outgoing connection
takes it between the choice and the container's bind.
Every wait is bounded; a container that does not answer fails the test with its log.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests.images import RUN_FLAGS, Podman, PodmanFailed, tail

READY_TIMEOUT = 60  # seconds for the entrypoint to migrate and granian to answer /readyz
# Seconds podman waits after SIGTERM before SIGKILL: DRAIN_SECONDS (5) and the graceful stop
# (30), as the generated compose.yaml's stop_grace_period.
STOP_TIMEOUT = 40
HTTP_TIMEOUT = 10
# Where Linux starts handing out ephemeral ports by default (net.ipv4.ip_local_port_range).
EPHEMERAL_LOW = 32768


def unclaimed_port() -> int:
    """A port that binds now, from the 8000 below the ephemeral range."""
    for port in random.sample(range(EPHEMERAL_LOW - 8000, EPHEMERAL_LOW), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {EPHEMERAL_LOW - 8000}..{EPHEMERAL_LOW - 1}")


@dataclass
class Response:
    status: int
    body: Any
    headers: Message  # names case-insensitive: granian sends them in lower case


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> Response:
    """One JSON request; HTTP errors are answers too, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    return Response(status, json.loads(raw) if raw else None, got)


@dataclass
class Container:
    """One container of image, with env and an optional volume on /data."""

    podman: Podman
    image: str
    name: str
    env: dict[str, str]
    env_file: Path | None = None
    volume: str | None = None
    port: int = field(default_factory=unclaimed_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Run the image's own entrypoint and command, then wait until /readyz answers 200."""
        args = ["run", "--detach", "--name", self.name, "--network", "host", *RUN_FLAGS]
        args += ["--log-driver", "k8s-file"]
        if self.env_file:
            args += ["--env-file", str(self.env_file)]
        for key, value in {**self.env, "PORT": str(self.port)}.items():
            args += ["--env", f"{key}={value}"]
        if self.volume:
            args += ["--volume", f"{self.volume}:/data"]
        self.podman(*args, self.image)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running():
                self.fail("exited before it answered /readyz")
            try:
                if http("GET", self.url + "/readyz").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        self.fail(f"did not answer /readyz 200 within {READY_TIMEOUT} s")

    def running(self) -> bool:
        state = self.podman("inspect", "--format", "{{.State.Running}}", self.name)
        return state.stdout.strip() == "true"

    def logs(self) -> str:
        result = self.podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def fail(self, why: str) -> None:
        pytest.fail(
            f"container {self.name} ({self.image}) {why}; its log:\n{tail(self.logs(), 60)}",
            pytrace=False,
        )

    def exec(self, *command: str, user: str | None = None, stdin: str | None = None) -> str:
        """Run command inside the container; return its stdout, fail with its output."""
        args = ["exec", *(["--interactive"] if stdin is not None else [])]
        args += ["--user", user] if user else []
        try:
            return self.podman(*args, self.name, *command, stdin=stdin).stdout
        except PodmanFailed as error:
            self.fail(f"`{' '.join(command)}` failed: {error}")
            raise

    def stop(self) -> float:
        """SIGTERM, as `docker stop` sends it; return the seconds it took to exit."""
        began = time.monotonic()
        self.podman("stop", "--time", str(STOP_TIMEOUT), self.name, timeout=STOP_TIMEOUT + 30)
        return time.monotonic() - began

    def exit_code(self) -> int:
        return int(self.podman("inspect", "--format", "{{.State.ExitCode}}", self.name).stdout)

    def remove(self) -> None:
        """Stop (bounded) and remove it; safe when it never started."""
        self.podman("rm", "--force", "--time", str(STOP_TIMEOUT), self.name, check=False)
