"""Lists by keyset: cursors, the Link header, orders, the count on request, the bounded offset
form, and cursors that are not the API's refused."""

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }}.api.keyset import signer
from {{ cookiecutter.package_name }}.api.pagination import PAGE_MAX

URL = "/api/resources/v1"
ANY_TAG = {"If-Match": "*"}
# Out of alphabetical order, so the name order differs from the creation order.
NAMES = ["kiwi", "apple", "mango", "cherry", "banana", "lime", "fig"]
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def create(writer: FlaskClient, name: str) -> int:
    response = writer.post(URL, json={"name": name})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def walk(writer: FlaskClient, query: str, between: Any = None) -> list[str]:
    """Every name the list gives, page after page by `next`; between(page) runs after each."""
    names: list[str] = []
    body = writer.get(f"{URL}?{query}").get_json()
    while True:
        names += [item["name"] for item in body["items"]]
        if between is not None:
            between(body)
        if body["next"] is None:
            return names
        body = writer.get(f"{URL}?{query}&cursor={body['next']}").get_json()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", NAMES),
        ("sort=created_at", NAMES),
        ("sort=-created_at", NAMES[::-1]),
        ("sort=name", sorted(NAMES)),
        ("sort=-name", sorted(NAMES, reverse=True)),
    ],
)
def test_a_cursor_walk_gives_every_item_once_in_order(
    writer: FlaskClient, sort: str, expected: list[str]
) -> None:
    """Pages of 3 followed by `next` list all 7 items once, in the order asked for."""
    for name in NAMES:
        create(writer, name)
    assert walk(writer, f"page_size=3&{sort}") == expected


def test_the_link_header_names_the_next_page(writer: FlaskClient) -> None:
    """Link: <...>; rel="next" keeps the other arguments; the last page has none."""
    for name in NAMES:
        create(writer, name)
    first = writer.get(f"{URL}?page_size=4&sort=-name")
    link = LINK.match(first.headers["Link"])
    assert link is not None
    assert link["url"].startswith("http://localhost/api/resources/v1?")
    assert f"cursor={first.get_json()['next']}" in link["url"]
    second = writer.get(link["url"])
    assert [item["name"] for item in second.get_json()["items"]] == ["cherry", "banana", "apple"]
    assert second.get_json()["next"] is None
    assert "Link" not in second.headers


def test_the_link_header_keeps_the_prefix_and_the_host_the_app_is_served_under(
    writer: FlaskClient,
) -> None:
    """Mounted under a path (SCRIPT_NAME) and asked for by another host, the next page's URL
    is still this list's, as request.base_url gives it."""
    for name in NAMES[:3]:
        create(writer, name)
    environ = {"SCRIPT_NAME": "/my api", "HTTP_HOST": "api.example.org:8443"}
    first = writer.get(f"{URL}?page_size=2", environ_overrides=environ)
    link = LINK.match(first.headers["Link"])
    assert link is not None
    expected = "http://api.example.org:8443/my%20api/api/resources/v1?page_size=2&"
    assert link["url"].startswith(expected)


def test_rows_written_during_a_walk_neither_repeat_nor_hide_the_others(
    writer: FlaskClient,
) -> None:
    """After every page one unseen and one seen row are deleted and two rows are added, one
    sorting before the position reached and one after: every row that stayed is seen once."""
    for name in NAMES:
        create(writer, name)
    ids = {
        item["name"]: item["id"] for item in writer.get(f"{URL}?page_size=100").get_json()["items"]
    }
    deleted: set[str] = set()
    added: list[str] = []

    def write(page: dict[str, Any]) -> None:
        seen = page["items"][-1]["name"]
        unseen = next((n for n in sorted(NAMES) if n > seen and n not in deleted), None)
        for name in (unseen, page["items"][0]["name"]):
            if name is not None and name not in deleted:
                assert writer.delete(f"{URL}/{ids[name]}", headers=ANY_TAG).status_code == 204
                deleted.add(name)
        for name in (f"a-{len(added)}", f"z-{len(added)}"):
            ids[name] = create(writer, name)
            added.append(name)

    names = walk(writer, "page_size=2&sort=name", between=write)
    assert names == sorted(set(names))  # in order, none twice
    stayed = set(NAMES) - deleted
    assert stayed <= set(names)
    assert set(names) <= set(NAMES) | set(added)


def test_default_page_size_is_20(writer: FlaskClient) -> None:
    """Without arguments the first 20 resources are listed, and a next page is named."""
    for number in range(21):
        create(writer, f"item-{number:02d}")
    body = writer.get(URL).get_json()
    assert [item["name"] for item in body["items"]] == [f"item-{n:02d}" for n in range(20)]
    assert body["page_size"] == 20
    assert body["next"] is not None


def test_the_total_is_counted_only_when_asked(writer: FlaskClient) -> None:
    for name in NAMES[:3]:
        create(writer, name)
    body = writer.get(f"{URL}?page_size=2").get_json()
    assert "total" not in body
    counted = writer.get(f"{URL}?page_size=2&count=true").get_json()
    assert counted["total"] == 3
    assert counted["items"] == body["items"]


def test_the_offset_form_jumps_to_a_page_and_continues_by_cursor(writer: FlaskClient) -> None:
    for name in NAMES:
        create(writer, name)
    body = writer.get(f"{URL}?page=2&page_size=2&sort=name").get_json()
    assert [item["name"] for item in body["items"]] == ["cherry", "fig"]
    assert (body["page"], body["page_size"]) == (2, 2)
    after = writer.get(f"{URL}?page_size=2&cursor={body['next']}").get_json()
    assert [item["name"] for item in after["items"]] == ["kiwi", "lime"]
    past = writer.get(f"{URL}?page=5&page_size=2").get_json()
    assert (past["items"], past["next"]) == ([], None)


def test_an_offset_page_past_the_bound_is_refused_naming_the_cursor(writer: FlaskClient) -> None:
    """The server never reads and discards more than (PAGE_MAX - 1) * 100 rows for a page."""
    response = writer.get(f"{URL}?page={PAGE_MAX + 1}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "cursor" in " ".join(response.get_json()["errors"]["query"]["page"])


def _cursor(secret: str, *payload: Any) -> str:
    return signer(secret).dumps(list(payload))


@pytest.mark.parametrize(
    ("forge", "field"),
    [
        (lambda key, good: "not-a-cursor", "cursor"),
        (lambda key, good: good[:-2] + ("AA" if good[-2:] != "AA" else "BB"), "cursor"),
        (lambda key, good: _cursor("another-key", "name", "kiwi"), "cursor"),
        (lambda key, good: _cursor(key, "colour", "red"), "cursor"),
        (lambda key, good: _cursor(key, "name", 7), "cursor"),
        (lambda key, good: _cursor(key, "name", "kiwi", "extra"), "cursor"),
        (lambda key, good: _cursor(key, "created_at", "yesterday", 1), "cursor"),
        (lambda key, good: _cursor(key, "created_at", "2025-01-01T00:00:00+00:00", True), "cursor"),
        (lambda key, good: _cursor(key, {"name": "kiwi"}), "cursor"),
        (lambda key, good: good + "&sort=created_at", "sort"),
        (lambda key, good: good + "&page=1", "page"),
    ],
    ids=[
        "garbage",
        "tampered",
        "other-key",
        "unknown-order",
        "wrong-type",
        "too-long",
        "bad-moment",
        "bool-id",
        "not-a-list",
        "other-sort",
        "with-page",
    ],
)
def test_a_cursor_the_api_did_not_give_is_refused(
    app: Flask, writer: FlaskClient, forge: Any, field: str
) -> None:
    """A forged, damaged or mismatched cursor is a 422 problem naming the argument, never a 500."""
    for name in NAMES[:3]:
        create(writer, name)
    good = writer.get(f"{URL}?page_size=1&sort=name").get_json()["next"]
    response = writer.get(f"{URL}?cursor={forge(app.config['SECRET_KEY'], good)}")
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page_size=0",
        "page_size=101",
        "page=abc",
        f"page={2**31}",
        "page_sise=5",
        "sort=colour",
        "sort=--name",
        "count=maybe",
    ],
)
def test_arguments_out_of_bounds_are_422(writer: FlaskClient, query: str) -> None:
    """Pages hold 1 to 100 items, orders are the declared ones; unknown names are refused."""
    response = writer.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert "query" in response.get_json()["errors"]
