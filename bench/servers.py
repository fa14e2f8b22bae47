"""Servers on 127.0.0.1 as the generated command serves (granian), each stopped by its PID, and
wrk to drive them."""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import floor
from tests.dbservers import free_port

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "my_flask_api"  # of the default project name
START_TIMEOUT = 60  # seconds for a server to answer /healthz
STOP_TIMEOUT = 15
WRK = ["wrk", "-t2", "-c16"]
BOUND = re.compile(r"(?:Serving on|Listening at:|Uvicorn running on) (http://[\d.:]+)")
# The generated command's settings (its cli.py), which the floors are served with too.
WORKERS = "2"
THREADS = "4"
# Before each measured run the machine must have gone quiet: at most this share of its cores busy
# over a short window, waited for up to QUIET_TIMEOUT seconds.
QUIET_SHARE = 0.10
QUIET_WINDOW = 0.2
QUIET_TIMEOUT = 30


class BenchError(RuntimeError):
    """A server or a load run did not behave: the figures would not mean anything."""


class Server:
    """One server process: start() spawns it, ready() waits for /healthz, stop() ends it by PID.

    Its URL is the address it logs: `Serving on URL` from the generated command, `Listening at:
    URL` from gunicorn and granian, `Uvicorn running on URL`. gunicorn binds port 0 once, before
    forking; granian (but under the command) and uvicorn are given a free port.
    """

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.command, self.cwd, self.env, self.log, self.url = command, cwd, env, log, ""
        self.process: subprocess.Popen[bytes] | None = None
        self.asked = False  # to stop

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

    def terminate(self) -> None:
        """Ask it to stop (the main process stops its workers on SIGTERM), once."""
        if self.process is not None and self.process.returncode is None and not self.asked:
            self.process.terminate()
            self.asked = True

    def stop(self) -> None:
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(servers: dict[str, Server]) -> Iterator[dict[str, str]]:
    """Start every server at once (they warm up in parallel); yield their URLs; stop them all
    (asked all at once too: each takes most of a second to stop its workers)."""
    try:
        for server in servers.values():
            server.start()
        yield {name: server.ready() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.stop()


def base_env(pythonpath: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "TEST_DATABASE"))}
    # DRAIN_SECONDS=0: the generated command stops at once, as the others do.
    env.update(PYTHONPATH=str(pythonpath), DATABASE_URL=database_url, DRAIN_SECONDS="0")
    return env


def generated(project: Path, work: Path, name: str, database_url: str, **settings: str) -> Server:
    """A baked project served by its own command: migrations, then granian, 2 workers."""
    env = base_env(project / "src", database_url)
    env.update(
        APP_ENV="production",
        SECRET_KEY="bench-" + "k" * 48,
        INSTANCE_PATH=str(work / name),
        LOGIN_RATE_LIMIT="100000 per minute",
        JWT_ACCESS_TOKEN_MINUTES="600",
        **settings,
    )
    command = [PYTHON, "-m", f"{PACKAGE}.cli", "--port", "0", "--workers", "2"]
    return Server(command, project, env, work / f"{name}.log")


def bare(factory: str, work: Path, name: str, database_url: str, **settings: str) -> Server:
    """The floor (or stock Flask-OIDC on it: a factory, `module:function`) under the generated
    command's server settings, its table made beforehand."""
    floor.create_table(database_url)
    env = {**base_env(ROOT, database_url), **settings}
    return Server(granian(factory), ROOT, env, work / f"{name}.log")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def granian(factory: str, threads: str | None = THREADS) -> list[str]:
    """granian serving the app a factory (`module:function`) makes in each worker, on a free
    port, with the generated command's settings (or another number of threads running requests in
    each worker; None: granian's own)."""
    command = [PYTHON, "-m", "granian", "--interface", "wsgi", "--no-ws", "--workers", WORKERS]
    if threads:
        command += ["--blocking-threads", threads]
    return [*command, "--host", "127.0.0.1", "--port", str(free_port()), "--factory", factory]


def wrk(
    url: str, seconds: float, headers: dict[str, str] | None = None, body: str | None = None
) -> float:
    """Requests per second over seconds; any non-2xx answer makes the run worthless. With a
    body: POSTs of that JSON body (wrk takes them from a Lua script)."""
    command = [*WRK, f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as scratch:
        if body is not None:
            script = Path(scratch) / "post.lua"
            script.write_text(
                f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
            command += ["-s", str(script)]
        result = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if result.returncode != 0 or rate is None:
        raise BenchError(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise BenchError(f"wrk saw errors on {url}:\n{result.stdout}")
    return float(rate.group(1))


def busy_share(window: float = QUIET_WINDOW) -> float:
    """The share of the machine's cores busy over the next window seconds (from /proc/stat)."""

    def ticks() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
        idle = values[3] + values[4]  # idle and waiting for I/O
        return sum(values) - idle, sum(values)

    busy, total = ticks()
    time.sleep(window)
    busy_after, total_after = ticks()
    return (busy_after - busy) / max(1, total_after - total)


_never_quiet: list[bool] = []  # once settle() has waited in vain, it waits no more


def settle() -> float:
    """Wait until the machine is quiet, so that a run measures its own server alone and not the
    work an earlier run left behind (a password reset's mail goes out after its answer, a
    traced server exports its spans after the run). Seconds waited. After QUIET_TIMEOUT it says
    so on stderr and, for the rest of the process, waits no more: something else keeps the
    machine busy, and every figure will show it."""
    started = time.monotonic()
    while not _never_quiet and busy_share() > QUIET_SHARE:
        if time.monotonic() - started > QUIET_TIMEOUT:
            print(f"bench: the machine stayed busy for {QUIET_TIMEOUT} s", file=sys.stderr)
            _never_quiet.append(True)
    return time.monotonic() - started


@dataclass
class Runs:
    """What alternate() measured: each endpoint's req/s, run by run, and each pair's ratios,
    round by round: its A's run against its B's, the two taken one after the other."""

    rates: dict[str, list[float]]
    ratios: dict[tuple[str, str], list[float]]

    def median(self, label: str) -> float:
        return statistics.median(self.rates[label])

    def ratio(self, a: str, b: str) -> float:
        """A/B: the median of the rounds' ratios of the pair (a, b), or of (b, a) inverted; for
        endpoints never run as a pair (or a smoke run's), the ratio of their medians.

        The machine's speed drifts here (the same work took 1.4 to 1.9 ms of CPU per request
        from one minute to the next): two runs side by side see the same machine, medians of
        runs minutes apart may not."""
        if paired := self.ratios.get((a, b)):
            return statistics.median(paired)
        if paired := self.ratios.get((b, a)):
            return 1 / statistics.median(paired)
        return self.median(a) / self.median(b)


def alternate(
    endpoints: dict[str, tuple[str, dict[str, str]]],
    pairs: Sequence[tuple[str, str]],
    seconds: float,
    rounds: int,
    bodies: dict[str, str] | None = None,
) -> Runs:
    """The req/s of each endpoint (label: URL and headers; POSTed with its JSON body where
    bodies has one), the A and B of each pair run one after the other, in turn A first and B
    first (ABBA over the rounds), so the machine's drift falls on both sides, each on a quiet
    machine (settle). More than one round starts with a one-second warm-up of each."""
    bodies = bodies or {}
    if rounds > 1:  # imports, connections, caches; one round is a smoke run
        for label, (url, headers) in endpoints.items():
            wrk(url, 1, headers, bodies.get(label))
    runs = Runs({label: [] for label in endpoints}, {pair: [] for pair in pairs})
    for number in range(rounds):
        for a, b in pairs:
            side_by_side = {}
            for label in (a, b) if number % 2 == 0 else (b, a):
                if rounds == 1 and runs.rates[label]:
                    continue  # a smoke run: one figure of each endpoint will do
                url, headers = endpoints[label]
                if rounds > 1:  # a smoke run's figures are not compared
                    settle()
                side_by_side[label] = wrk(url, seconds, headers, bodies.get(label))
                runs.rates[label].append(side_by_side[label])
            if len(side_by_side) == 2:
                runs.ratios[a, b].append(side_by_side[a] / side_by_side[b])
    return runs
