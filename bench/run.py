"""Bake what the comparisons need, serve each under gunicorn, drive them with wrk, report.

Every comparison is measured in this run: A and B alternate (ABBA over the rounds) and the
medians are compared, so the machine's drift falls on both sides.
"""

import importlib.util
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

from bench.report import Row, write_report
from bench.servers import PYTHON, BenchError, Server, gunicorn, running, seed, wrk
from tests.matrix import export_template

ROOT = Path(__file__).resolve().parent.parent
LIST = "/api/resources/v1?page=1&page_size=20"
PACKAGE = "my_flask_api"  # of the default project name
SCOPES = ("resources:read", "resources:write")

# (comparison, A, B, target ratio A/B): endpoint names of endpoints() below.
PAIRS = [
    ("list 20 vs bare floor", "generated list", "floor list", 0.85),
    ("/healthz vs bare floor", "generated healthz", "floor healthz", 0.90),
    ("token-protected vs unprotected", "token list", "unprotected list", 0.90),
    (
        "oidc introspection (cached) vs unprotected",
        "oidc introspection list",
        "unprotected list",
        0.80,
    ),
    ("oidc jwt vs unprotected", "oidc jwt list", "unprotected list", 0.80),
    ("stock Flask-OIDC accept_token vs unprotected", "stock Flask-OIDC list", "floor list", None),
]
# Figures of different pairs, compared without a run of their own.
DERIVED = [
    (
        "oidc introspection (cached) vs stock Flask-OIDC",
        "oidc introspection list",
        "stock Flask-OIDC list",
        9.0,
    ),
    ("oidc jwt vs stock Flask-OIDC", "oidc jwt list", "stock Flask-OIDC list", 9.0),
    # No protected route beats the unprotected one: the two rows above can reach this at most.
    (
        "ceiling of the two above: unprotected vs stock Flask-OIDC",
        "unprotected list",
        "stock Flask-OIDC list",
        None,
    ),
]


def template_files(scratch: Path) -> Path:
    """The template's own files, as the tests bake them (tests.matrix.export_template)."""
    return export_template(scratch / "template")


def trivial_template(scratch: Path) -> Path:
    """The smallest cookiecutter template: one question, one file."""
    template = scratch / "trivial"
    (template / "{{cookiecutter.name}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"name": "trivial"}\n')
    (template / "{{cookiecutter.name}}" / "README.md").write_text("# {{ cookiecutter.name }}\n")
    return template


def bake(template: Path, output: Path, config: Path, answers: dict[str, str]) -> Path:
    """Render through cookiecutter's Python API, its scratch files in a directory of their own."""
    output.mkdir(parents=True, exist_ok=True)
    saved, stdout = tempfile.tempdir, os.dup(1)
    sys.stdout.flush()
    os.dup2(2, 1)  # the hooks' next steps go to stderr: stdout holds the table only
    with tempfile.TemporaryDirectory(prefix="bake-") as scratch:
        tempfile.tempdir = scratch
        try:
            project = cookiecutter(
                str(template),
                no_input=True,
                extra_context=answers,
                output_dir=str(output),
                config_file=str(config),
            )
        finally:
            tempfile.tempdir = saved
            os.dup2(stdout, 1)
            os.close(stdout)
    return Path(project)


def base_env(pythonpath: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "TEST_DATABASE"))}
    env.update(PYTHONPATH=str(pythonpath), DATABASE_URL=f"sqlite:///{database}")
    return env


def generated(project: Path, work: Path, name: str, **settings: str) -> Server:
    """A baked project served by its own command: migrations, then gunicorn, 2 workers."""
    env = base_env(project / "src", work / f"{name}.sqlite3")
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


def bare(app: str, work: Path, name: str, **settings: str) -> Server:
    """The floor (or stock Flask-OIDC on it) under the same gunicorn settings."""
    env = {**base_env(ROOT, work / f"{name}.sqlite3"), **settings}
    return Server(gunicorn(app), ROOT, env, work / f"{name}.log")


def load_provider(project: Path) -> Any:
    """The generated project's own test OpenID provider (tests/oidc_provider.py)."""
    spec = importlib.util.spec_from_file_location(
        "bench_oidc_provider", project / "tests" / "oidc_provider.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.OIDCProvider()


def token_login(server: Server, project: Path) -> str:
    """Create a user with the flask CLI, then log in through the API, as a client would."""
    password = "Bench-password-7"
    create = [
        PYTHON,
        "-m",
        "flask",
        "--app",
        PACKAGE,
        "users",
        "create",
        "bench",
        "--password-stdin",
    ]
    create += [arg for scope in SCOPES for arg in ("--scope", scope)]
    subprocess.run(
        create,
        cwd=project,
        env=server.env,
        input=password + "\n",
        text=True,
        capture_output=True,
        timeout=120,
        check=True,
    )
    body = json.dumps({"username": "bench", "password": password}).encode()
    request = urllib.request.Request(
        server.url + "/api/auth/v1/login", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access_token"])


def measure_http(
    projects: dict[str, Path], work: Path, seconds: float, rounds: int
) -> dict[str, list[float]]:
    """Serve everything at once, warm each endpoint, then alternate the pairs' A and B."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's per-request lines
    provider = load_provider(projects["oidc"])
    provider.start()
    try:
        secrets_file = work / "client_secrets.json"
        api = provider.api_client
        secrets_file.write_text(
            json.dumps(
                {
                    "web": {
                        "issuer": provider.issuer,
                        "client_id": api.client_id,
                        "client_secret": api.client_secret,
                    }
                }
            )
        )
        oidc = dict(
            OIDC_ISSUER=provider.issuer,
            OIDC_CLIENT_ID=api.client_id,
            OIDC_CLIENT_SECRET=api.client_secret,
            OIDC_AUDIENCE=provider.audience,
        )
        servers = {
            "floor": bare("bench.floor:app", work, "floor"),
            "stock": bare(
                "bench.stock_oidc:app", work, "stock", BENCH_OIDC_SECRETS=str(secrets_file)
            ),
            "none": generated(projects["none"], work, "none"),
            "token": generated(projects["token"], work, "token"),
            "introspection": generated(
                projects["oidc"],
                work,
                "introspection",
                **oidc,
                OIDC_TOKEN_VALIDATION="introspection",
            ),
            "jwt": generated(projects["oidc"], work, "jwt", **oidc, OIDC_TOKEN_VALIDATION="jwt"),
        }
        with running(servers) as urls:
            for name in servers:
                seed(work / f"{name}.sqlite3")
            opaque = provider.fetch_token(provider.register("bench", SCOPES, expires_in=86400))
            signed = provider.fetch_token(
                provider.register("bench-jwt", SCOPES, expires_in=86400, token_format="jwt")
            )
            bearer = {
                "token": token_login(servers["token"], projects["token"]),
                "introspection": opaque,
                "jwt": signed,
                "stock": opaque,
            }
            endpoints: dict[str, Callable[[float], float]] = {}
            for label, server, path in [
                ("generated list", "none", LIST),
                ("unprotected list", "none", LIST),
                ("floor list", "floor", LIST),
                ("generated healthz", "none", "/healthz"),
                ("floor healthz", "floor", "/healthz"),
                ("token list", "token", LIST),
                ("oidc introspection list", "introspection", LIST),
                ("oidc jwt list", "jwt", LIST),
                ("stock Flask-OIDC list", "stock", LIST),
            ]:
                headers = {"Authorization": f"Bearer {bearer[server]}"} if server in bearer else {}
                endpoints[label] = lambda s, u=urls[server] + path, h=headers: wrk(u, s, h)
            if rounds > 1:  # warm-up (imports, connections, caches); one round is a smoke run
                for run in endpoints.values():
                    run(1)
            samples: dict[str, list[float]] = {label: [] for label in endpoints}
            for number in range(rounds):
                for _title, a, b, _target in PAIRS:
                    for label in (a, b) if number % 2 == 0 else (b, a):
                        samples[label].append(endpoints[label](seconds))
            return samples
    finally:
        provider.stop()


def measure_bakes(
    template: Path, trivial: Path, work: Path, config: Path, rounds: int
) -> tuple[float, float]:
    """Median seconds to bake the default combination and the trivial template, alternating."""
    times: dict[Path, list[float]] = {template: [], trivial: []}
    for number in range(rounds):
        for source in (template, trivial) if number % 2 == 0 else (trivial, template):
            output = work / "bakes" / str(time.monotonic_ns())
            started = time.perf_counter()
            bake(source, output, config, {})
            times[source].append(time.perf_counter() - started)
            shutil.rmtree(output)
    return statistics.median(times[template]), statistics.median(times[trivial])


def measure_suites(projects: dict[str, Path]) -> dict[str, float]:
    """Wall time of each generated suite (pytest -q, on SQLite), one after the other."""
    result = {}
    for auth, project in projects.items():
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "TEST_DATABASE_URL", "PYTHONPATH"}
        }
        env["PYTHONPATH"] = str(project / "src")
        started = time.perf_counter()
        done = subprocess.run(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"the auth={auth} suite failed:\n{done.stdout[-3000:]}")
        result[auth] = time.perf_counter() - started
    return result


def say(message: str) -> None:
    """Progress on stderr, so stdout holds the table only."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main() -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", "5"))
    # Short runs are smoke tests: one round, no suites, unless asked for.
    rounds = int(os.environ.get("BENCH_ROUNDS", "3" if seconds >= 3 else "1"))
    suites = os.environ.get("BENCH_SUITES", "1" if seconds >= 5 else "0") == "1"
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "build" / "bench"))
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        config = work / "cookiecutter.yaml"
        config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
        template = template_files(work)
        say(f"baking; then {rounds} round(s) of {seconds:g} s per side, suites: {suites}")
        projects = {
            auth: bake(template, work / auth, config, {"auth": auth})
            for auth in ("none", "token", "oidc")
        }
        say("serving and driving with wrk")
        samples = measure_http(projects, work, seconds, rounds)
        say("timing bakes")
        baked, trivial = measure_bakes(
            template, trivial_template(work), work, config, max(rounds, 2) * 2 - 1
        )
        say("running the generated suites" if suites else "generated suites skipped")
        suite_times = measure_suites(projects) if suites else {}
    medians = {label: statistics.median(values) for label, values in samples.items() if values}
    rows = [
        Row(title, a, medians[a], b, medians[b], "req/s", target)
        for title, a, b, target in PAIRS + DERIVED
    ]
    rows.append(
        Row(
            "bake one combination vs a trivial template",
            "default answers",
            baked * 1000,
            "trivial template",
            trivial * 1000,
            "ms",
            None,
        )
    )
    settings = {"cores": os.cpu_count() or 0, "seconds": seconds, "rounds": rounds}
    table = write_report(rows, suite_times, settings, output)
    print(table)
    print(f"\nwrote {output / 'report.md'} and {output / 'report.png'}")


if __name__ == "__main__":
    main()
