"""The greeting API: two versions served side by side."""

import pytest
from flask.testing import FlaskClient


def test_v1_greets_the_world_by_default(client: FlaskClient) -> None:
    """Version 1 answers a single message."""
    response = client.get("/api/greeting/v1")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Hello, World!"}


def test_v1_greets_by_name(client: FlaskClient) -> None:
    """The name comes from the query string."""
    assert client.get("/api/greeting/v1?name=Ada").get_json() == {"message": "Hello, Ada!"}


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Hello, Ada!"), ("fr", "Bonjour, Ada!"), ("de", "Hallo, Ada!"), ("es", "Hola, Ada!")],
)
def test_v2_greets_in_the_language_asked_for(client: FlaskClient, language: str, text: str) -> None:
    """Version 2 answers a structured greeting."""
    response = client.get(f"/api/greeting/v2?name=Ada&language={language}")
    assert response.status_code == 200
    assert response.get_json() == {"text": text, "language": language, "recipient": "Ada"}


def test_v1_keeps_its_contract_beside_v2(client: FlaskClient) -> None:
    """Both versions answer the same request, each in its own shape."""
    assert set(client.get("/api/greeting/v1?name=Ada").get_json()) == {"message"}
    assert set(client.get("/api/greeting/v2?name=Ada").get_json()) == {
        "text",
        "language",
        "recipient",
    }


@pytest.mark.parametrize(
    "query",
    ["/api/greeting/v1?name=", "/api/greeting/v1?name=" + "x" * 51, "/api/greeting/v2?language=xx"],
)
def test_invalid_query_arguments_are_422(client: FlaskClient, query: str) -> None:
    """A bad query argument is refused with field errors."""
    response = client.get(query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "query" in response.get_json()["errors"]
