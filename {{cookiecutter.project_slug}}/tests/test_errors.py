"""Every error leaves as application/problem+json (RFC 9457)."""

from collections.abc import Callable

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.test import TestResponse

PROBLEM_KEYS = {"type", "title", "status", "detail"}
MakeApp = Callable[..., Flask]


def assert_problem(response: TestResponse, status: int) -> dict[str, object]:
    """Check the status, the media type and the RFC 9457 members."""
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body: dict[str, object] = response.get_json(force=True)
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    return body


def test_malformed_json_is_400(writer: FlaskClient) -> None:
    """A body that does not parse is a 400 naming the JSON body."""
    response = writer.post(
        "/api/resources/v1", data="{not json", headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert "json" in body["errors"]  # type: ignore[operator]


def test_unknown_route_is_404(client: FlaskClient) -> None:
    assert_problem(client.get("/no/such/route"), 404)


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    """The Allow header survives the conversion to problem+json."""
    response = client.delete("/api/resources/v1")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_413(make_app: MakeApp, writer_headers: dict[str, str]) -> None:
    """MAX_CONTENT_LENGTH bounds the request body."""
    client = make_app(MAX_CONTENT_LENGTH=64).test_client()
    response = client.post("/api/resources/v1", json={"name": "x" * 100}, headers=writer_headers)
    assert_problem(response, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(client: FlaskClient, content_type: str) -> None:
    response = client.post(
        "/api/resources/v1", data="name=x", headers={"Content-Type": content_type}
    )
    assert_problem(response, 415)


def test_validation_errors_are_422_with_field_errors(writer: FlaskClient) -> None:
    body = assert_problem(writer.post("/api/resources/v1", json={}), 422)
    assert body["errors"] == {"json": {"name": ["Missing data for required field."]}}


def test_unexpected_errors_are_500_without_details(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The client gets no exception text or traceback; the log gets the traceback."""
    app = make_app()  # its own: the test adds a route

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    with caplog.at_level("ERROR"):
        response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


@pytest.mark.parametrize(
    "data",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the recursion limit
        '{"name": "\\ud800 unpaired surrogate"}',  # valid JSON syntax, but no database stores it
        '{"name": "\\udc00"}',
    ],
    ids=["nested", "high-surrogate", "low-surrogate"],
)
def test_json_no_database_could_take_is_400(writer: FlaskClient, data: str) -> None:
    """Bodies that would crash the parser or the driver are refused before they get there."""
    response = writer.post(
        "/api/resources/v1", data=data, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


def test_characters_outside_the_bmp_are_stored(writer: FlaskClient) -> None:
    """A surrogate pair is one real character (here an emoji) and round-trips."""
    data = '{"name": "rocket \\ud83d\\ude80", "description": "literal \\\\ud800 text"}'
    response = writer.post(
        "/api/resources/v1", data=data, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "rocket \U0001f680"
    assert response.get_json()["description"] == "literal \\ud800 text"


@pytest.mark.parametrize("resource_id", [0, 2**31, 5814625292678996164608])
@pytest.mark.parametrize("method", ["get", "delete"])
def test_ids_beyond_the_column_are_404(writer: FlaskClient, method: str, resource_id: int) -> None:
    """An id no database column can hold matches no route, rather than reaching the driver."""
    response = getattr(writer, method)(f"/api/resources/v1/{resource_id}")
    assert_problem(response, 404)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_odd_methods_are_405(client: FlaskClient, method: str) -> None:
    response = client.open("/api/resources/v1", method=method)
    assert_problem(response, 405)


def test_query_arguments_read_as_werkzeug_reads_them(app: Flask) -> None:
    """get() of an absent argument gives its default without raising; [] of one is still 400,
    and get() with a type still converts, or gives the default when it cannot."""
    with app.test_request_context("/?n=7&word=x&n=8"):
        assert request.args.get("absent") is None
        assert request.args.get("absent", "fallback") == "fallback"
        assert request.args.get("n", type=int) == 7
        assert request.args.get("word", -1, type=int) == -1
        assert request.args.getlist("n") == ["7", "8"]
        with pytest.raises(BadRequestKeyError):
            request.args["absent"]
