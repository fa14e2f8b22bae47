"""The resources API: CRUD, validation, conflicts (its list's paging: test_pagination.py)."""

from typing import Any

import pytest
from flask.testing import FlaskClient

URL = "/api/resources/v1"
# If-Match: * passes the precondition whatever the ETag; for tests about something else.
ANY_TAG = {"If-Match": "*"}


def create(writer: FlaskClient, name: str = "alpha", description: str = "") -> dict[str, Any]:
    """Create a resource and return its body."""
    response = writer.post(URL, json={"name": name, "description": description})
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def current(writer: FlaskClient, item_id: int) -> dict[str, str]:
    """If-Match headers naming the resource's current ETag, as a client gets it from a GET."""
    return {"If-Match": writer.get(f"{URL}/{item_id}").headers["ETag"]}


def test_crud_round_trip(writer: FlaskClient) -> None:
    """Create, read, list, replace, update, delete, then read again gives 404."""
    created = writer.post(URL, json={"name": "alpha", "description": "first"})
    assert created.status_code == 201
    item = created.get_json()
    assert created.headers["Location"] == f"{URL}/{item['id']}"
    assert item["name"] == "alpha"
    assert item["description"] == "first"
    assert item["created_at"].endswith("+00:00")

    assert writer.get(f"{URL}/{item['id']}").get_json() == item
    assert writer.get(URL).get_json()["items"] == [item]

    replaced = writer.put(
        f"{URL}/{item['id']}", json={"name": "beta"}, headers=current(writer, item["id"])
    )
    assert replaced.status_code == 200
    assert replaced.get_json()["name"] == "beta"
    assert replaced.get_json()["description"] == ""

    patched = writer.patch(
        f"{URL}/{item['id']}", json={"description": "changed"}, headers=current(writer, item["id"])
    )
    assert patched.status_code == 200
    assert patched.get_json()["name"] == "beta"
    assert patched.get_json()["description"] == "changed"

    deleted = writer.delete(f"{URL}/{item['id']}", headers=current(writer, item["id"]))
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert writer.get(f"{URL}/{item['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": " padded "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 42}, "name"),
        ({"name": "ok", "description": "x" * 1001}, "description"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "id": 7}, "id"),
        ({"name": "nul\x00"}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "trailing newline\n"}, "name"),
        ({"name": "tab\tinside"}, "name"),
        ({"name": "ok", "description": "nul \x00 inside"}, "description"),
    ],
)
def test_create_refuses_invalid_bodies(writer: FlaskClient, body: Any, field: str) -> None:
    """Invalid fields are named in the problem's errors."""
    response = writer.post(URL, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]["json"]


def test_replace_requires_every_field(writer: FlaskClient) -> None:
    """PUT is a full replacement: the name is required."""
    item = create(writer)
    response = writer.put(
        f"{URL}/{item['id']}", json={"description": "no name"}, headers=current(writer, item["id"])
    )
    assert response.status_code == 422
    assert "name" in response.get_json()["errors"]["json"]


def test_patch_validates_the_fields_it_gets(writer: FlaskClient) -> None:
    """PATCH accepts a subset, but each given field is validated."""
    item = create(writer)
    response = writer.patch(
        f"{URL}/{item['id']}", json={"name": ""}, headers=current(writer, item["id"])
    )
    assert response.status_code == 422


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_missing_resource_is_404(writer: FlaskClient, method: str) -> None:
    """Every item route answers 404 problem+json for an unknown id."""
    response = getattr(writer, method)(f"{URL}/999999", json={"name": "x"}, headers=ANY_TAG)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "999999" in response.get_json()["detail"]


def test_duplicate_name_is_409(writer: FlaskClient) -> None:
    """Names are unique on create, replace and update."""
    create(writer, "alpha")
    other = create(writer, "beta")
    assert writer.post(URL, json={"name": "alpha"}).status_code == 409
    renamed = writer.put(f"{URL}/{other['id']}", json={"name": "alpha"}, headers=ANY_TAG)
    assert renamed.status_code == 409
    response = writer.patch(f"{URL}/{other['id']}", json={"name": "alpha"}, headers=ANY_TAG)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


def test_renaming_a_resource_to_its_own_name_is_allowed(writer: FlaskClient) -> None:
    """The uniqueness check ignores the resource being changed."""
    item = create(writer, "alpha")
    response = writer.put(f"{URL}/{item['id']}", json={"name": "alpha"}, headers=ANY_TAG)
    assert response.status_code == 200


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_trailing_slash_does_not_redirect(writer: FlaskClient, path: str) -> None:
    """The collection answers with or without a trailing slash."""
    assert writer.get(path).status_code == 200
    assert writer.post(path, json={"name": f"slash{len(path)}"}).status_code == 201


def test_item_trailing_slash_does_not_redirect(writer: FlaskClient) -> None:
    """An item answers with or without a trailing slash."""
    item = create(writer)
    assert writer.get(f"{URL}/{item['id']}/").status_code == 200
