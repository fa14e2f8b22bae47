"""The OpenAPI document is valid and describes every route."""

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate


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
            assert rule.rule.replace("<int:", "<") in documented, rule.rule


def test_operations_have_summaries(client: FlaskClient) -> None:
    """Every operation carries the one-line summary from its docstring."""
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary"), f"{method.upper()} {path}"


def test_docs_page_is_served(client: FlaskClient) -> None:
    """An interactive documentation page is served at /docs."""
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.get_data(as_text=True).lower()
