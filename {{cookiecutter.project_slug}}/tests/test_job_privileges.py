"""Who may start and see jobs (auth=token or oidc, with tasks=celery)."""

from typing import Any

from flask.testing import FlaskClient

from test_jobs import URL, start


def test_a_job_is_seen_by_its_owner_only(writer: FlaskClient, auth: Any) -> None:
    job = start(writer)
    reader = auth.headers("bob", ("resources:read",))
    assert writer.get(f"{URL}/{job['id']}", headers=reader).status_code == 404


def test_jobs_need_the_read_scope(client: FlaskClient, auth: Any) -> None:
    assert client.post(URL, json={"kind": "resource-report"}).status_code == 401
    nothing = auth.headers("carol", ())
    assert client.post(URL, json={"kind": "resource-report"}, headers=nothing).status_code == 403
    reader = auth.headers("carol", ("resources:read",))
    assert client.post(URL, json={"kind": "resource-report"}, headers=reader).status_code == 202
