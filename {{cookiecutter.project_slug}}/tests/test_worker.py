"""A real worker process on a real Redis: a job goes from the API to the worker and back."""

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from test_cli import child_env

WORKER = [sys.executable, "-m", "{{ cookiecutter.package_name }}.tasks.worker"]
URL = "/api/jobs/v1"


@pytest.fixture
def queue(settings: dict[str, Any], redis_url: str) -> dict[str, Any]:
    """Settings of an API and a worker sharing a queue of their own on the test Redis."""
    return {
        **settings,
        "TASKS_EAGER": False,
        "REDIS_URL": redis_url,
        "TASKS_QUEUE": f"test-{uuid.uuid4().hex}",
    }


@contextmanager
def worker(
    tmp_path: Path, database: str, queue: dict[str, Any]
) -> Iterator["subprocess.Popen[str]"]:
    """The worker command, one pool process, its output in tmp_path/worker.log."""
    with (tmp_path / "worker.log").open("w") as log:
        process = subprocess.Popen(
            WORKER,
            env=child_env(
                APP_ENV="testing",
                SECRET_KEY="test-secret-key",
                DATABASE_URL=database,
                WORKER_CONCURRENCY="1",
                **{name: str(value) for name, value in queue.items()},
            ),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


def until_done(client: FlaskClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll a job until it has succeeded or failed (at most 60 s)."""
    for _ in range(600):
        job: dict[str, Any] = client.get(location, headers=headers).get_json()
        if job["status"] in {"succeeded", "failed"}:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job is still {job['status']} after 60 s")


def test_a_queued_job_runs_on_a_worker_that_then_stops_cleanly(
    tmp_path: Path, migrated: str, make_app: Any, writer_headers: dict[str, str], queue: Any
) -> None:
    """A job waits as pending until a worker runs it; SIGTERM then ends the worker warmly."""
    client = make_app(**queue).test_client()
    for name in ("alpha", "beta"):
        created = client.post("/api/resources/v1", json={"name": name}, headers=writer_headers)
        assert created.status_code == 201
    started = client.post(URL, json={"kind": "resource-report"}, headers=writer_headers)
    assert started.status_code == 202, started.get_json()
    location = started.headers["Location"]
    assert client.get(location, headers=writer_headers).get_json()["status"] == "pending"

    with worker(tmp_path, migrated, queue) as process:
        job = until_done(client, location, headers=writer_headers)
        assert job["status"] == "succeeded", (tmp_path / "worker.log").read_text()
        assert job["result"]["total"] == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    log = (tmp_path / "worker.log").read_text()
    assert "Warm shutdown" in log, log
    assert "Traceback" not in log, log
