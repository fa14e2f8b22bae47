"""The jobs API and the job bodies, run inside the request (TASKS_EAGER); test_worker.py runs
them on a real worker."""

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import Resource
from {{ cookiecutter.package_name }}.tasks import jobs
from {{ cookiecutter.package_name }}.tasks.models import Job

URL = "/api/jobs/v1"
RESOURCES = "/api/resources/v1"


def start(client: FlaskClient, kind: str = "resource-report") -> dict[str, Any]:
    """Start a job and return it as the URL in Location shows it."""
    response = client.post(URL, json={"kind": kind})
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    assert location == f"{URL}/{response.get_json()['id']}"
    shown = client.get(location)
    assert shown.status_code == 200
    body: dict[str, Any] = shown.get_json()
    return body


def test_a_report_counts_resources_in_total_and_per_owner(writer: FlaskClient) -> None:
    for name in ("alpha", "beta", "gamma"):
        assert writer.post(RESOURCES, json={"name": name}).status_code == 201
    job = start(writer)
    owner = writer.get(f"{RESOURCES}?page_size=1").get_json()["items"][0]["owner"]
    assert job["status"] == "succeeded"
    assert job["kind"] == "resource-report"
    assert job["error"] is None
    assert job["result"] == {"total": 3, "by_owner": [{"owner": owner, "count": 3}]}


def test_the_report_body_groups_by_owner(app: Flask) -> None:
    """The task body alone, on rows with several owners and none."""
    with app.app_context():
        owners = ["bob", "alice", None, "bob"]
        db.session.add_all(Resource(name=f"r{n}", owner=o) for n, o in enumerate(owners))
        db.session.commit()
        report = jobs.resource_report()
    assert report["total"] == 4
    counts = {row["owner"]: row["count"] for row in report["by_owner"]}
    assert counts == {None: 1, "alice": 1, "bob": 2}


def test_a_failing_job_is_failed_with_its_error(
    writer: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, Any]:
        raise ValueError("the numbers do not add up")

    monkeypatch.setitem(jobs.KINDS, "resource-report", broken)
    job = start(writer)
    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"] == "ValueError: the numbers do not add up"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "mine-bitcoin"},
        {"kind": 7},
        {"kind": None},
        {"kind": "resource-report", "x": 1},
    ],
)
def test_a_bad_job_is_a_422_problem(writer: FlaskClient, app: Flask, body: Any) -> None:
    response = writer.post(URL, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


@pytest.mark.parametrize("job_id", ["0" * 32, "f" * 32])
def test_an_unknown_job_is_404(writer: FlaskClient, job_id: str) -> None:
    response = writer.get(f"{URL}/{job_id}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_malformed_job_id_matches_no_route(writer: FlaskClient) -> None:
    assert writer.get(f"{URL}/not-a-job").status_code == 404
    assert writer.get(f"{URL}/{'a' * 33}").status_code == 404


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A port that accepts connections and never answers, like a wedged Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once it is closed


@pytest.mark.parametrize("broker", ["closed_port", "hanging_port"])
def test_with_the_broker_down_a_job_is_a_503_within_the_timeout(
    make_app: Any, writer_headers: dict[str, str], broker: str, request: pytest.FixtureRequest
) -> None:
    """No hang and no 500: the request gets a 503 problem in about REDIS_TIMEOUT_SECONDS, and
    the job it could not queue is withdrawn."""
    port = request.getfixturevalue(broker)
    broker_url = f"redis://127.0.0.1:{port}/0"
    app = make_app(TASKS_EAGER=False, REDIS_URL=broker_url, REDIS_TIMEOUT_SECONDS=1)
    began = time.monotonic()
    response = app.test_client().post(URL, json={"kind": "resource-report"}, headers=writer_headers)
    waited = time.monotonic() - began
    assert response.status_code == 503, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert waited < 10, f"the request waited {waited:.1f} s"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
