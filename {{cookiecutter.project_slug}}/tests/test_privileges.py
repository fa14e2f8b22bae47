"""The privilege matrix: every route, method and kind of caller, with the status it gets."""

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

READ, WRITE = "resources:read", "resources:write"
URL = "/api/resources/v1"

# Callers: (subject, scopes), or None for no token at all.
CALLERS: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "anonymous": None,
    "no-scope": ("carol", ()),
    "reader": ("alice", (READ,)),
    "writer": ("alice", (READ, WRITE)),
    "other-writer": ("bob", (READ, WRITE)),
}

# (method, path, body) -> expected status for each caller. {id} is a resource alice owns.
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("get", "/api/greeting/v1", None, dict.fromkeys(CALLERS, 200)),
    ("get", "/api/greeting/v2", None, dict.fromkeys(CALLERS, 200)),
    ("get", "/api/greeting/v3", None, {**dict.fromkeys(CALLERS, 200), "anonymous": 401}),
    ("get", "/healthz", None, dict.fromkeys(CALLERS, 200)),
    ("get", "/readyz", None, dict.fromkeys(CALLERS, 200)),
    ("get", "/openapi.json", None, dict.fromkeys(CALLERS, 200)),
    (
        "get",
        URL,
        None,
        {"anonymous": 401, "no-scope": 403, "reader": 200, "writer": 200, "other-writer": 200},
    ),
    (
        "post",
        URL,
        {"name": "new"},
        {"anonymous": 401, "no-scope": 403, "reader": 403, "writer": 201, "other-writer": 201},
    ),
    (
        "get",
        URL + "/{id}",
        None,
        {"anonymous": 401, "no-scope": 403, "reader": 200, "writer": 200, "other-writer": 200},
    ),
    (
        "put",
        URL + "/{id}",
        {"name": "renamed"},
        {"anonymous": 401, "no-scope": 403, "reader": 403, "writer": 200, "other-writer": 403},
    ),
    (
        "patch",
        URL + "/{id}",
        {"description": "changed"},
        {"anonymous": 401, "no-scope": 403, "reader": 403, "writer": 200, "other-writer": 403},
    ),
    (
        "delete",
        URL + "/{id}",
        None,
        {"anonymous": 401, "no-scope": 403, "reader": 403, "writer": 204, "other-writer": 403},
    ),
]

CASES = [
    pytest.param(method, path, body, caller, statuses[caller], id=f"{method}-{path}-{caller}")
    for method, path, body, statuses in MATRIX
    for caller in CALLERS
]


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
def test_privilege_matrix(
    client: FlaskClient,
    auth: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    caller: str,
    expected: int,
) -> None:
    """Each caller gets exactly the status the matrix gives it."""
    owned = client.post(URL, json={"name": "owned"}, headers=auth.headers("alice", (READ, WRITE)))
    assert owned.status_code == 201, owned.get_json()
    url = path.format(id=owned.get_json()["id"])
    who = CALLERS[caller]
    headers = {} if who is None else auth.headers(*who)
    if method in {"put", "patch", "delete"}:  # the current ETag: only the caller is in question
        current = client.get(url, headers=auth.headers("alice", (READ,)))
        headers["If-Match"] = current.headers["ETag"]
    request: Callable[..., Any] = getattr(client, method)
    response = request(url, json=body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected in (401, 403):
        assert response.mimetype == "application/problem+json"
        assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer") or (
            expected == 403 and "owner" in response.get_json()["detail"]
        )


def test_a_resource_records_its_owner(client: FlaskClient, auth: Any) -> None:
    """The creator's subject is stored and shown."""
    response = client.post(URL, json={"name": "mine"}, headers=auth.headers("alice", (WRITE,)))
    assert response.get_json()["owner"] == "alice"


def test_greeting_v3_greets_the_caller(client: FlaskClient, auth: Any) -> None:
    """Any valid token will do, whatever its scopes."""
    response = client.get("/api/greeting/v3", headers=auth.headers("alice", ()))
    assert response.status_code == 200
    assert response.get_json()["subject"] == "alice"


def test_the_spec_declares_the_scopes(client: FlaskClient) -> None:
    """Each protected operation names its security scheme and scopes."""
    spec = client.get("/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    # The backend's scheme carries scopes; any other (personal access tokens) is an alternative.
    (scheme,) = [name for name, s in schemes.items() if s["type"] in {"oauth2", "openIdConnect"}]
    others = [{name: []} for name in schemes if name != scheme]
    operations = spec["paths"]["/api/resources/v1"]
    assert operations["get"]["security"] == [{scheme: [READ]}, *others]
    assert operations["post"]["security"] == [{scheme: [WRITE]}, *others]
    assert spec["paths"]["/api/greeting/v3"]["get"]["security"] == [{scheme: []}, *others]
    assert "security" not in spec["paths"]["/api/greeting/v1"]["get"]
