"""A real worker process on a real Redis: a job goes from the API to the worker and back."""

import os
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


# A worker with one job kind more, for the test below: "slow" notes its process id, waits for a
# file, then notes that it completed.
SLOW_WORKER = """
import os, sys, time
from pathlib import Path
from {{ cookiecutter.package_name }}.tasks import jobs, worker

marks = Path(os.environ["TEST_JOB_MARKS"])


def slow():
    (marks / f"started-{os.getpid()}").touch()
    while not (marks / "go").exists():
        time.sleep(0.05)
    with (marks / "completed").open("a") as done:
        done.write(f"{os.getpid()}\\n")
    return {"pid": os.getpid()}


jobs.KINDS["slow"] = slow
worker.main(sys.argv[1:])
"""


def test_a_job_whose_worker_is_killed_runs_again_to_completion_once(
    tmp_path: Path, migrated: str, make_app: Any, queue: Any
) -> None:
    """Two workers; the pool process running a job is killed with SIGKILL mid-job. The job is
    handed out again (late acknowledgement, rejected on a lost worker) and completes, once, in
    another process; its status ends succeeded."""
    from {{ cookiecutter.package_name }}.extensions import db
    from {{ cookiecutter.package_name }}.tasks.celery import enqueue
    from {{ cookiecutter.package_name }}.tasks.models import Job

    marks = tmp_path / "marks"
    marks.mkdir()
    env = child_env(
        APP_ENV="testing",
        SECRET_KEY="test-secret-key",
        DATABASE_URL=migrated,
        WORKER_CONCURRENCY="1",
        TEST_JOB_MARKS=str(marks),
        **{name: str(value) for name, value in queue.items()},
    )
    command = [sys.executable, "-c", SLOW_WORKER]
    workers = []
    for name in ("a", "b"):
        with (tmp_path / f"worker-{name}.log").open("w") as log:
            workers.append(
                subprocess.Popen(
                    command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
                )
            )
    app = make_app(**queue)
    try:
        with app.app_context():
            job = Job(id=uuid.uuid4().hex, kind="slow", owner=None)
            db.session.add(job)
            db.session.commit()
            job_id = job.id
            enqueue(job_id)
        first = wait_for(lambda: list(marks.glob("started-*")), "a worker to start the job")
        killed = int(first[0].name.removeprefix("started-"))
        os.kill(killed, signal.SIGKILL)
        again = wait_for(
            lambda: [m for m in marks.glob("started-*") if m.name != f"started-{killed}"],
            "the job to start again",
        )
        (marks / "go").touch()
        wait_for(lambda: (marks / "completed").exists(), "the job to complete")
        with app.app_context():
            for _ in range(100):
                db.session.expire_all()
                finished = db.session.get(Job, job_id)
                if finished is not None and finished.status == "succeeded":
                    break
                time.sleep(0.1)
        time.sleep(1)  # a second completion, if one were coming, would be noted by now
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)
    logs = "".join((tmp_path / f"worker-{name}.log").read_text() for name in ("a", "b"))
    assert finished is not None and finished.status == "succeeded", logs
    completions = (marks / "completed").read_text().split()
    assert completions == [again[0].name.removeprefix("started-")], logs
    assert int(completions[0]) != killed
    assert "WorkerLostError" in logs, "the pool noticed the lost process"


def wait_for(found: Any, what: str, seconds: float = 60) -> Any:
    """Poll found() until it gives something true (bounded); return that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")
