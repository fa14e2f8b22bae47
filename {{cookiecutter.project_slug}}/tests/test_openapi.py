"""The OpenAPI document is valid and describes every route."""

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

PROBLEM = "application/problem+json"


def test_openapi_json_is_valid(client: FlaskClient) -> None:
    """openapi-spec-validator accepts /openapi.json."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    """Each rule under /api and the probes appear in the spec's paths."""
    paths = client.get("/openapi.json").get_json()["paths"]
    documented = {path.replace("{", "<").replace("}", ">") for path in paths}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in {"/healthz", "/readyz"}:
            # <int(min=1):id> is documented as {id}, its bounds in the parameter's schema
            assert re.sub(r"<[^<>]*:(\w+)>", r"<\1>", rule.rule) in documented, rule.rule


def test_operations_have_summaries(client: FlaskClient) -> None:
    """Every operation carries the one-line summary from its docstring."""
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary"), f"{method.upper()} {path}"


def test_docs_page_is_served_without_outside_urls(client: FlaskClient) -> None:
    """/docs is Swagger UI from files the app serves itself: no CDN, no other host."""
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "swagger" in page.lower()
    assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", page), "an outside URL"
    assets = re.findall(r"(?:src|href)=[\"']([^\"']+)", page)
    assert len(assets) >= 3
    for asset in assets:
        with client.get(asset) as served:  # a file response: close it
            assert served.status_code == 200, asset


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]


def test_every_reference_resolves(client: FlaskClient) -> None:
    """No $ref points at a component the document does not define (a code generator reading
    the spec would stop there)."""
    spec = client.get("/openapi.json").get_json()
    text = json.dumps(spec)
    references = set(re.findall(r'"\$ref": "(#/[^"]+)"', text))
    assert "#/components/headers/ETAG" in references
    for reference in references:
        assert resolve(spec, {"$ref": reference}), reference


def test_every_error_is_documented_as_problem_json(client: FlaskClient) -> None:
    """Each 4xx/5xx/default response declares the type it is sent with, and only that."""
    spec = client.get("/openapi.json").get_json()
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = resolve(spec, response).get("content", {})
                assert list(content) == [PROBLEM], f"{method.upper()} {path} {status}"


def test_routes_document_the_errors_they_answer(client: FlaskClient) -> None:
    """JSON bodies: 400/413/415/422; item writes: 404, 412 and 428 with a required If-Match."""
    spec = client.get("/openapi.json").get_json()
    item = spec["paths"]["/api/resources/v1/{resource_id}"]
    for method in ("put", "patch"):
        assert {"400", "404", "409", "412", "413", "415", "422", "428"} <= set(
            item[method]["responses"]
        )
    assert {"404", "412", "428"} <= set(item["delete"]["responses"])
    assert {"304", "404"} <= set(item["get"]["responses"])
    for method in ("put", "patch", "delete"):
        headers = [resolve(spec, p) for p in item[method]["parameters"]]
        if_match = next(h for h in headers if h["name"] == "If-Match")
        assert {"name": "If-Match", "in": "header", "required": True}.items() <= if_match.items()
        assert re.fullmatch(if_match["schema"]["pattern"], 'W/"a", "b"')
        assert not re.fullmatch(if_match["schema"]["pattern"], "no-quotes")


def test_the_spec_shows_every_validation_rule(client: FlaskClient) -> None:
    """Lengths, patterns, ranges and refused extra fields reach the schemas."""
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    create = schemas["ResourceCreate"]
    assert create["additionalProperties"] is False
    name = create["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 100)
    assert "pattern" in name
    assert create["properties"]["description"]["maxLength"] == 1000
    item = spec["paths"]["/api/resources/v1/{resource_id}"]
    (resource_id,) = [p for p in item["parameters"] if p["name"] == "resource_id"]
    assert (resource_id["schema"]["minimum"], resource_id["schema"]["maximum"]) == (1, 2**31 - 1)
    listing = spec["paths"]["/api/resources/v1"]["get"]["parameters"]
    page = next(p for p in listing if p["name"] == "page")["schema"]
    assert (page["minimum"], page["maximum"]) == (1, 100)


def test_the_spec_shows_how_to_walk_a_list(client: FlaskClient) -> None:
    """cursor, sort and count in the query; next, total and a Link header in the answer."""
    spec = client.get("/openapi.json").get_json()
    listing = spec["paths"]["/api/resources/v1"]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters["cursor"]["type"] == "string"
    assert parameters["count"]["type"] == "boolean"
    assert set(parameters["sort"]["enum"]) == {"created_at", "-created_at", "name", "-name"}
    ok = listing["responses"]["200"]
    assert "Link" in ok["headers"]
    page = spec["components"]["schemas"]["ResourcePage"]["properties"]
    assert page["next"]["type"] == "string" and page["next"]["nullable"] is True
    assert "total" in page and "pages" not in page
