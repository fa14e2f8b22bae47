"""Conditional requests: ETags on reads, If-Match on writes, so no update is lost unseen."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

URL = "/api/resources/v1"


def create(writer: FlaskClient, name: str = "alpha") -> tuple[str, str]:
    """Create a resource; return its URL and its ETag."""
    response = writer.post(URL, json={"name": name})
    assert response.status_code == 201, response.get_json()
    url = response.headers["Location"]
    return url, writer.get(url).headers["ETag"]


def test_an_item_has_a_strong_etag_and_answers_304(writer: FlaskClient) -> None:
    """A GET gives a strong ETag; If-None-Match with it gives 304 and no body."""
    url, etag = create(writer)
    assert etag.startswith('"')
    again = writer.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize(
    ("method", "body"), [("put", {"name": "beta"}), ("patch", {"name": "beta"}), ("delete", None)]
)
def test_a_write_without_if_match_is_428(writer: FlaskClient, method: str, body: Any) -> None:
    """Writes must say which version they change."""
    url, _etag = create(writer)
    response = getattr(writer, method)(url, json=body)
    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "body"), [("put", {"name": "beta"}), ("patch", {"name": "beta"}), ("delete", None)]
)
def test_a_write_with_a_stale_etag_is_412(writer: FlaskClient, method: str, body: Any) -> None:
    """A write based on an older version is refused, and the newer one stays."""
    url, stale = create(writer)
    changed = writer.patch(url, json={"description": "newer"}, headers={"If-Match": stale})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != stale
    response = getattr(writer, method)(url, json=body, headers={"If-Match": stale})
    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"
    assert writer.get(url).get_json()["description"] == "newer"


def test_a_write_answers_the_new_etag(writer: FlaskClient) -> None:
    """The ETag of a write's answer is the one the next write needs."""
    url, etag = create(writer)
    first = writer.patch(url, json={"description": "one"}, headers={"If-Match": etag})
    second = writer.patch(
        url, json={"description": "two"}, headers={"If-Match": first.headers["ETag"]}
    )
    assert second.status_code == 200
    assert writer.get(url).headers["ETag"] == second.headers["ETag"]


def test_concurrent_writers_lose_nothing(
    app: Flask, writer: FlaskClient, writer_headers: dict[str, str]
) -> None:
    """Of 20 simultaneous PATCHes based on one version, exactly one wins; the rest get 412."""
    url, etag = create(writer)
    start = threading.Barrier(20)

    def patch(number: int) -> int:
        client = app.test_client()  # one client, app context and connection per thread
        start.wait(timeout=10)
        response = client.patch(
            url,
            json={"description": f"writer {number}"},
            headers={**writer_headers, "If-Match": etag},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(patch, range(20)))
    assert sorted(statuses) == [200] + [412] * 19, statuses
    winner = statuses.index(200)
    assert writer.get(url).get_json()["description"] == f"writer {winner}"
