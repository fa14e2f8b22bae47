"""The console script: its help, and a real granian serving real HTTP."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }}.cli import build_parser, main

COMMAND = [sys.executable, "-m", "{{ cookiecutter.package_name }}.cli"]


def child_env(**variables: str) -> dict[str, str]:
    """The environment for the command, able to import the package from any directory."""
    source = str(Path({{ cookiecutter.package_name }}.__file__).parents[1])
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **variables}


def test_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """-h lists each flag and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        main(["-h"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--workers", "--instance-path", "--db", "--no-migrate"):
        assert flag in out


def test_flags_are_parsed() -> None:
    args = build_parser().parse_args(["--port", "0", "--workers", "3", "--db", "sqlite://"])
    assert (args.port, args.workers, args.db) == (0, 3, "sqlite://")


def test_a_placeholder_secret_key_stops_start_up(tmp_path: Path) -> None:
    """In production a placeholder SECRET_KEY is refused with one line, exit status 1."""
    result = subprocess.run(
        [*COMMAND, "--db", "sqlite://"],
        env=child_env(APP_ENV="production", SECRET_KEY="change-me"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def production_env(settings: dict[str, Any], **variables: str) -> dict[str, str]:
    """The command's environment in production mode (a real-length SECRET_KEY), then settings
    and variables."""
    given = {name: str(value) for name, value in {**settings, **variables}.items()}
    # Stopped at once, unless a test drains (test_draining.py).
    given.setdefault("DRAIN_SECONDS", "0")
    return child_env(APP_ENV="production", SECRET_KEY="x" * 40, **given)


def bound_url(server: "subprocess.Popen[str]", log: Path | None = None) -> str:
    """The base URL the command prints once it has chosen its port (0: a free one)."""
    assert server.stdout is not None
    line = server.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert match, line + (log.read_text() if log else "")
    return match.group(0)


def start(
    tmp_path: Path, database: str, settings: dict[str, Any], workers: int, **variables: str
) -> tuple["subprocess.Popen[str]", str]:
    """Start the command in production mode on a free port; return it and its base URL."""
    server = subprocess.Popen(
        [*COMMAND, "--port", "0", "--workers", str(workers), "--db", database],
        env=production_env(settings, **variables),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return server, bound_url(server)


def stop(server: "subprocess.Popen[str]") -> str:
    """Stop the command; return what it wrote on stderr."""
    server.terminate()
    _out, errors = server.communicate(timeout=30)
    return errors


def test_the_command_migrates_and_serves(
    tmp_path: Path, migrated: str, settings: dict[str, Any]
) -> None:
    """It applies migrations, starts granian, and answers HTTP on the printed port, naming no
    server version. Its metrics folder, made in TMPDIR, is gone once it has stopped."""
    server, base = start(
        tmp_path,
        migrated,
        settings,
        workers=1,
        INSTANCE_PATH=str(tmp_path),
        PROMETHEUS_MULTIPROC_DIR="",  # unset: the command makes its own folder
        TMPDIR=str(tmp_path),
    )
    try:
        body = _get_when_up(f"{base}/healthz")
        assert body == '{"status":"ok"}\n'
        assert _get_when_up(f"{base}/readyz") == '{"status":"ok"}\n'
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            assert response.headers["Server"] == "granian", "no version in Server"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert len(list(tmp_path.glob("metrics-*"))) == 1
    finally:
        stop(server)
    assert not list(tmp_path.glob("metrics-*"))


def start_workers(
    tmp_path: Path, database: str, settings: dict[str, Any], workers: int = 2
) -> tuple["subprocess.Popen[str]", str, int]:
    """Start the command with JSON logs and its metrics in tmp_path; return it, its base URL
    and how many /healthz it took until every worker had answered one."""
    server, base = start(
        tmp_path,
        database,
        settings,
        workers=workers,
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        INSTANCE_PATH=str(tmp_path),
    )
    try:
        return server, base, until_every_worker_answers(base, tmp_path, workers)
    except BaseException:
        stop(server)
        raise


def until_every_worker_answers(base: str, metrics_dir: Path, workers: int) -> int:
    """GET /healthz in concurrent batches until each worker has counted one (its metric file
    in PROMETHEUS_MULTIPROC_DIR): the port is named before the workers boot. Return how many."""
    sent = 0
    while len(list(metrics_dir.glob("counter_*.db"))) < workers and sent < 1200:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: _get_when_up(f"{base}/healthz"), range(60)))
        assert statuses == ['{"status":"ok"}\n'] * 60
        sent += 60
    return sent


def _get_when_up(url: str, attempts: int = 100) -> str:
    """GET url, retrying while the workers are still booting (bounded: about 10 s)."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")
