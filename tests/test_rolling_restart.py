"""A rolling restart behind the generated project's own load balancer drops nothing.

The real HAProxy (Debian's, with the project's deploy/haproxy.cfg) in front of two instances of
the generated server command on a real PostgreSQL or MariaDB; 16 client threads creating and
listing through it without pause; then SIGTERM to A, A' started in its place and waited for
until HAProxy has it UP, the same for B. Every request is answered, none with a 5xx, both old
instances exit 0, and the resources in the database are exactly the creates acknowledged.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.ci import unavailable
from tests.dbservers import free_port
from tests.matrix import combination_id, combinations
from tests.projects import PYTHON

COMBOS = [
    {**combinations()[0], "auth": "none", "database": database}
    for database in ("postgresql", "mysql")
]
CLIENTS = 16
READY_TIMEOUT = 60  # seconds for an instance to serve, or HAProxy to see it UP
STOP_TIMEOUT = 45  # DRAIN_SECONDS (5) and the graceful stop's 30 s, with room


class Instance:
    """The generated server command on a fixed port (HAProxy's configuration names it), with
    the project's defaults: 2 workers, DRAIN_SECONDS 5."""

    def __init__(self, project: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.project, self.env, self.port, self.log = project, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *flags: str) -> Instance:
        command = [PYTHON, "-m", "my_flask_api.cli", "--port", str(self.port), *flags]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=self.project,
                env=self.env,
                stdout=output,
                stderr=output,
                start_new_session=True,  # close() can end its workers with it
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server on {self.port} did not get ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """SIGTERM; its exit status once it has drained and stopped."""
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(timeout=STOP_TIMEOUT)

    def close(self) -> None:
        """Stop it without its drain (a second SIGTERM skips it); kill what is left."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        time.sleep(0.2)
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Proxy:
    """HAProxy with the project's configuration, in the foreground, its addresses given in the
    environment as the configuration's comment says."""

    def __init__(self, project: Path, replicas: list[int], log: Path) -> None:
        self.port, self.stats = free_port(), free_port()
        env = {
            "API_1": f"127.0.0.1:{replicas[0]}",
            "API_2": f"127.0.0.1:{replicas[1]}",
            "PROXY_BIND": f"127.0.0.1:{self.port}",
            "STATS_BIND": f"127.0.0.1:{self.stats}",
            "PATH": "/usr/sbin:/usr/bin:/bin",
        }
        command = ["haproxy", "-f", str(project / "deploy" / "haproxy.cfg"), "-db"]
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        self.url = f"http://127.0.0.1:{self.port}"

    def statuses(self) -> dict[str, str]:
        """Each replica's status on HAProxy's status page (UP, DOWN, ...)."""
        try:
            page = requests.get(f"http://127.0.0.1:{self.stats}/stats;csv", timeout=2).text
        except requests.ConnectionError:
            return {}
        rows = csv.DictReader(io.StringIO(page.lstrip("# ")))
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == "replicas"}

    def wait_up(self, *names: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            statuses = self.statuses()
            if all(statuses.get(name) == "UP" for name in names):
                return
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)
        pytest.fail(f"HAProxy did not see {names} UP: {self.statuses()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Clients:
    """CLIENTS threads through the proxy, each on a kept-alive connection, creating and listing
    in turn until stopped; every answer's status, every failure, every acknowledged create."""

    def __init__(self, url: str) -> None:
        self.url = url + "/api/resources/v1"
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.created: set[str] = set()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(CLIENTS)]

    def run(self, number: int) -> None:
        with requests.Session() as session:
            sent = 0
            while not self.stopping.is_set() and sent < 100_000:
                name = f"rr-{number}-{sent}"
                try:
                    if sent % 2 == 0:
                        response = session.post(self.url, json={"name": name}, timeout=30)
                        if response.status_code == 201:
                            self.created.add(name)
                    else:
                        response = session.get(self.url, timeout=30)
                    self.statuses.append(response.status_code)
                except requests.RequestException as error:
                    self.failures.append(f"{name}: {error!r}")
                sent += 1

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.mark.cost(2)
@pytest.mark.parametrize("combo", COMBOS, ids=[combination_id(c) for c in COMBOS])
def test_a_rolling_restart_behind_haproxy_drops_nothing(
    combo: dict[str, Any],
    tmp_path: Path,
    baked: Any,
    database_url: Any,
) -> None:
    """0 failed requests, 0 5xx, every acknowledged create stored (and nothing else), both old
    instances exit 0."""
    if shutil.which("haproxy") is None:
        unavailable("haproxy is not installed: apt-get install -y haproxy")
    project = baked(combo)
    url = database_url(combo["database"], "rr_" + combo["database"])
    # project_env() would make pytest's folder beside the shared bake, which must stay alone.
    unset = {"DATABASE_URL", "TEST_DATABASE_URL", "APP_CONFIG_FILE", "PYTHONPATH"}
    env = {
        **{name: value for name, value in os.environ.items() if name not in unset},
        "PYTHONPATH": str(project / "src"),
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "SECRET_KEY": "rolling-restart-" + "k" * 40,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    ports = [free_port(), free_port()]
    a = Instance(project, env, ports[0], tmp_path / "a.log").start()  # migrates, once
    b = Instance(project, env, ports[1], tmp_path / "b.log").start("--no-migrate")
    proxy = Proxy(project, ports, tmp_path / "haproxy.log")
    replaced: list[Instance] = []
    try:
        proxy.wait_up("api-1", "api-2")
        with Clients(proxy.url) as clients:
            time.sleep(1)
            exits = []
            for old, name in ((a, "api-1"), (b, "api-2")):
                exits.append(old.stop())
                new = Instance(project, env, old.port, old.log).start("--no-migrate")
                replaced.append(new)
                proxy.wait_up(name)
            time.sleep(1)
    finally:
        for instance in (a, b, *replaced):
            instance.close()
        proxy.stop()
    assert exits == [0, 0], a.log.read_text()[-2000:] + b.log.read_text()[-2000:]
    assert not clients.failures, clients.failures[:10]
    assert clients.statuses and not [s for s in clients.statuses if s not in (200, 201)]
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = set(connection.scalars(text("SELECT name FROM resources WHERE name LIKE 'rr-%'")))
    engine.dispose()
    assert stored == clients.created
