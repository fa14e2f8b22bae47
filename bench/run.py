"""Bake what the comparisons need, serve each, drive them with wrk, report.

Every comparison is measured in this run: A and B alternate (ABBA over the rounds), and A/B is
the median of the rounds' ratios, so the machine's drift falls on both sides. The stack's rows
run on SQLite with 100 rows (bench.stack), as do those of the servers the app could run under,
against the FastAPI floor (bench.serving); those of lists as tables grow, on PostgreSQL and on
MariaDB with 1 000 and BENCH_ROWS rows (bench.growth).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

from bench import growth, serving, stack
from bench.report import Row, write_report
from bench.servers import PYTHON, ROOT, BenchError
from tests import dbservers
from tests.matrix import export_template


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
    large = int(os.environ.get("BENCH_ROWS", "1000000"))
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "build" / "bench"))
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")
    try:
        dbservers.find_postgres_bindir()
        dbservers.find_mariadb_binaries()
    except dbservers.ServerUnavailable as missing:
        sys.exit(f"bench: {missing}")
    if large < 2 * growth.SMALL:
        sys.exit(f"bench: BENCH_ROWS must be at least {2 * growth.SMALL}")
    load = os.getloadavg()[0]  # before any of ours: other work on the machine skews the figures
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
        served = {
            kind: bake(template, work / f"none-{kind}", config, {"auth": "none", "database": kind})
            for kind in growth.DATABASES
        }
        say("serving on SQLite and driving with wrk")
        rows = stack.measure(projects, work, seconds, rounds)
        say("serving under each candidate server, and the FastAPI floor under uvicorn")
        rows += serving.measure(projects, work, seconds, rounds)
        notes = []
        for kind, project in served.items():
            say(f"{growth.DATABASES[kind]}: filling {large} rows, walking them, driving with wrk")
            found, note = growth.measure(kind, project, work, seconds, rounds, large)
            rows += found
            notes.append(note)
        say("timing bakes")
        baked, trivial = measure_bakes(
            template, trivial_template(work), work, config, max(rounds, 2) * 2 - 1
        )
        say("running the generated suites" if suites else "generated suites skipped")
        suite_times = measure_suites(projects) if suites else {}
    rows.append(
        Row(
            "bake one combination vs a trivial template",
            "no database",
            "default answers",
            baked * 1000,
            "trivial template",
            trivial * 1000,
            "ms",
            None,
        )
    )
    settings = {
        "cores": os.cpu_count() or 0,
        "seconds": seconds,
        "rounds": rounds,
        "load": load,
    }
    table = write_report(rows, suite_times, settings, output, notes)
    print(table)
    print(f"\nwrote {output / 'report.md'} and {output / 'report.png'}")


if __name__ == "__main__":
    main()
