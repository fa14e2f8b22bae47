"""Which server runs the generated app best: each candidate with 2 workers, side by side with the
FastAPI floor (bench.fastapi_floor under uvicorn) and with the bare Flask floor under the same
server, on SQLite with 100 rows.

The candidates, all maintained WSGI servers that a Flask project can run:
- granian's WSGI interface (HTTP parsing and the socket loop in Rust, the app on its threads)
  with THREADS Python threads per worker: the generated `<slug>` command as it ships, chosen by
  this comparison;
- granian as it comes, with threads for half its connection limit (it warns that this may
  start 256 Python threads on 2 cores). Its `--backpressure 8` was as fast as 4 threads, but it
  caps open connections, idle kept-alive ones included: 16 clients kept alive by a load
  balancer left none for its health checks;
- gunicorn with gthread workers, 4 threads each: one master, requests on threads;
- gunicorn with sync workers: the command as it shipped until 0.7.0.
Each serves the auth=none project (health, the list's first page, a page by cursor in the middle
of the table), the auth=token project (the same list, with an access token) and the bare floor.
Every figure comes with the CPU that the server's processes burnt meanwhile, in cores: a server
that wins by running more threads shows it. And the shipped server's largest worker must keep
its memory flat over the runs (resident memory after them against after the warm-up).
"""

import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Row
from bench.servers import (
    PACKAGE,
    PYTHON,
    ROOT,
    THREADS,
    WORKERS,
    BenchError,
    Server,
    bare,
    generated,
    granian,
    running,
    settle,
    wrk,
)
from bench.stack import SQLITE, SQLITE_ROWS, cursor_pages, sqlite, token_login
from bench.tables import fill
from bench.walk import LIST
from tests.dbservers import free_port

GTHREADS = "4"
SHIPPED = "granian 4 threads"
CANDIDATES = (SHIPPED, "granian", "gunicorn gthread", "gunicorn sync")
FASTAPI = "FastAPI floor"
# The least ratio the server issue asks for: the generated app at least as fast as the FastAPI
# floor, within 0.85 of its own bare floor, and a token costing at most 8 %.
VS_FASTAPI, VS_FLOOR, TOKEN = 1.0, 0.85, 0.92
# (what, A, B, the least A/B asked for): endpoint labels of measure(), {candidate} filled in.
COMPARISONS = [
    ("/healthz vs FastAPI", "{candidate} health", f"{FASTAPI} health", VS_FASTAPI),
    ("list 20, first page, vs FastAPI", "{candidate} list", f"{FASTAPI} list", VS_FASTAPI),
    ("list 20 by cursor vs FastAPI", "{candidate} middle", f"{FASTAPI} middle", VS_FASTAPI),
    ("list vs its bare floor", "{candidate} list", "{candidate} floor list", VS_FLOOR),
    ("token-protected vs unprotected", "{candidate} token list", "{candidate} list", TOKEN),
]
TICKS = os.sysconf("SC_CLK_TCK")
# A worker's memory must stay flat under load: after every run at most 1.1x what it was warm.
MEMORY = f"{SHIPPED}: the largest worker's memory under load"


def server_command(candidate: str, target: str) -> list[str]:
    """The command serving target (a factory, `module:function`) under the candidate."""
    if candidate.startswith("granian"):
        return granian(target, THREADS if candidate == SHIPPED else None)
    # --preload: the app made once, before the fork, as gunicorn's users run it.
    command = [PYTHON, "-m", "gunicorn", "--preload", "--workers", WORKERS]
    if candidate == "gunicorn gthread":
        command += ["--worker-class", "gthread", "--threads", GTHREADS]
    return [*command, "--bind", "127.0.0.1:0", f"{target}()"]


def migrate(server: Server) -> None:
    """Bring a project's database up to date, as its command does before serving."""
    command = [PYTHON, "-m", "flask", "--app", PACKAGE, "db", "upgrade"]
    done = subprocess.run(
        command, cwd=server.cwd, env=server.env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise BenchError(f"flask db upgrade failed:\n{done.stderr[-3000:]}")


def app_under(candidate: str, project: Path, work: Path, name: str) -> Server:
    """The generated app under a candidate: its own command for the one it ships, else the app
    set up as the command sets it up (bench.entry), on a database migrated beforehand."""
    server = generated(project, work, name, sqlite(work, name))
    metrics = work / f"{name}-metrics"
    metrics.mkdir()
    server.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    if candidate == SHIPPED:
        return server
    server.env["PYTHONPATH"] += os.pathsep + str(ROOT)
    migrate(server)
    server.command = server_command(candidate, "bench.entry:create")
    return server


def floor_under(candidate: str, work: Path, name: str) -> Server:
    """The bare Flask floor under a candidate."""
    server = bare("bench.floor:create_app", work, name, sqlite(work, name))
    server.command = server_command(candidate, "bench.floor:create_app")
    return server


def fastapi_floor(work: Path) -> Server:
    """The FastAPI floor as its users run it: uvicorn with 2 workers."""
    server = bare("bench.fastapi_floor:app", work, "fastapi", sqlite(work, "fastapi"))
    server.command = [PYTHON, "-m", "uvicorn", "bench.fastapi_floor:app", "--workers", WORKERS]
    server.command += ["--host", "127.0.0.1", "--port", str(free_port())]
    return server


def worker_memory(main: int) -> float:
    """The resident memory of the largest of a server's workers (the main process's children),
    in MiB, from /proc."""
    largest = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue  # ended meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields and int(fields["PPid"]) == main and "VmRSS" in fields:
            largest = max(largest, int(fields["VmRSS"].split()[0]))
    return largest / 1024


def cpu_seconds(root: int) -> float:
    """CPU time of a process and all its descendants so far (user and system, from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, total = {root}, 0
    for pid in sorted(parents):  # a child's pid is almost always above its parent's
        if pid in tree or parents[pid] in tree:
            tree.add(pid)
    for pid in tree:
        total += times.get(pid, 0)
    return total / TICKS


@dataclass
class Figure:
    rate: float  # requests per second, median of the rounds
    cores: float  # CPU seconds per second of the server's processes, median of the rounds
    rates: list[float]  # requests per second, round by round

    def against(self, other: "Figure") -> float:
        """The median of the rounds' ratios of this figure to the other (their groups ran
        together in each round, so each ratio sees the machine of one moment)."""
        return statistics.median(a / b for a, b in zip(self.rates, other.rates, strict=True))


def drive(
    endpoints: dict[str, tuple[str, dict[str, str], int]],
    groups: list[list[str]],
    seconds: float,
    rounds: int,
) -> dict[str, Figure]:
    """Each endpoint (URL, headers, the server's PID) driven by wrk on a quiet machine (settle);
    in each group, in turn forwards and backwards over the rounds, so the machine's drift falls
    on every member."""
    rates: dict[str, list[float]] = {label: [] for label in endpoints}
    cores: dict[str, list[float]] = {label: [] for label in endpoints}
    for number in range(rounds):
        for group in groups:
            for label in group if number % 2 == 0 else reversed(group):
                url, headers, pid = endpoints[label]
                if rounds > 1:  # a smoke run's figures are not compared
                    settle()
                before, started = cpu_seconds(pid), time.perf_counter()
                rates[label].append(wrk(url, seconds, headers))
                cores[label].append((cpu_seconds(pid) - before) / (time.perf_counter() - started))
    return {
        label: Figure(
            statistics.median(rates[label]), statistics.median(cores[label]), rates[label]
        )
        for label in endpoints
    }


def measure(projects: dict[str, Path], work: Path, seconds: float, rounds: int) -> list[Row]:
    """Serve every candidate and both floors at once, drive them, compare."""
    servers: dict[str, Server] = {FASTAPI: fastapi_floor(work)}
    for number, candidate in enumerate(CANDIDATES):
        servers[f"{candidate} none"] = app_under(candidate, projects["none"], work, f"s{number}n")
        servers[f"{candidate} token"] = app_under(candidate, projects["token"], work, f"s{number}t")
        servers[f"{candidate} floor"] = floor_under(candidate, work, f"s{number}f")
    with running(servers) as urls:
        for server in servers.values():
            fill(server.env["DATABASE_URL"], SQLITE_ROWS)
        # One page in the middle, the same rows from each: the generated servers share the
        # SECRET_KEY that signs the cursor, so its path and query serve on every one of them.
        middle, fastapi_middle = cursor_pages(urls[f"{SHIPPED} none"], urls[FASTAPI])
        middle = middle.removeprefix(urls[f"{SHIPPED} none"])
        fastapi_middle = fastapi_middle.removeprefix(urls[FASTAPI])
        endpoints: dict[str, tuple[str, dict[str, str], int]] = {}

        def add(label: str, server: str, path: str, headers: dict[str, str] | None = None) -> None:
            pid = servers[server].process.pid if servers[server].process else 0
            endpoints[label] = (urls[server] + path, headers or {}, pid)

        add(f"{FASTAPI} health", FASTAPI, "/healthz")
        add(f"{FASTAPI} list", FASTAPI, LIST)
        add(f"{FASTAPI} middle", FASTAPI, fastapi_middle)
        for candidate in CANDIDATES:
            add(f"{candidate} health", f"{candidate} none", "/healthz")
            add(f"{candidate} list", f"{candidate} none", LIST)
            add(f"{candidate} middle", f"{candidate} none", middle)
            add(f"{candidate} floor list", f"{candidate} floor", LIST)
            token = token_login(servers[f"{candidate} token"], projects["token"])
            bearer = {"Authorization": f"Bearer {token}"}
            add(f"{candidate} token list", f"{candidate} token", LIST, bearer)
        groups = [
            [label for label in endpoints if label.endswith(route)]
            for route in (" health", " list", " middle")
        ]
        if rounds > 1:  # imports, connections, caches
            for url, headers, _pid in endpoints.values():
                wrk(url, 1, headers)
        shipped = servers[f"{SHIPPED} none"].process
        assert shipped is not None
        warm = worker_memory(shipped.pid)
        figures = drive(endpoints, groups, seconds, rounds)
        loaded = worker_memory(shipped.pid)
    memory = Row(MEMORY, SQLITE, "after the runs", loaded, "after warm-up", warm, "MiB", 1.1, True)
    return [*rows(figures), memory]


def rows(figures: dict[str, Figure]) -> list[Row]:
    """Each candidate against the FastAPI floor per route, its own floor and its token list;
    each side named with the cores it used."""

    def side(label: str) -> str:
        return f"{label} ({figures[label].cores:.2f} cores)"

    found = []
    for candidate in CANDIDATES:
        for what, a, b, target in COMPARISONS:
            a, b = a.format(candidate=candidate), b.format(candidate=candidate)
            title = f"{candidate}: {what}"
            found.append(
                Row(
                    title,
                    SQLITE,
                    side(a),
                    figures[a].rate,
                    side(b),
                    figures[b].rate,
                    "req/s",
                    target,
                    paired=figures[a].against(figures[b]),
                )
            )
    return found


def titles() -> list[str]:
    """The rows' titles, in order (tests/test_bench.py checks that the report has each)."""
    return [f"{candidate}: {what}" for candidate in CANDIDATES for what, *_ in COMPARISONS] + [
        MEMORY
    ]
