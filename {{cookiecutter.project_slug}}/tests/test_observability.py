"""Logs and metrics: JSON access lines with the request id, and /metrics summed over workers."""

import json
import re
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from test_cli import start_workers, stop

ACCESS_FIELDS = {"timestamp", "level", "request_id", "method", "path", "status", "duration_ms"}


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, Message]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode(), response.headers


def test_two_workers_log_json_and_sum_their_metrics(
    tmp_path: Path, migrated: str, settings: dict[str, Any]
) -> None:
    """Under granian with 2 workers: JSON lines (granian's too) and one summed request count."""
    server, base, sent = start_workers(tmp_path, migrated, settings)
    try:
        _status, _body, headers = get(f"{base}/api/greeting/v1", {"X-Request-ID": "trace-42"})
        assert headers["X-Request-ID"] == "trace-42"
        _status, metrics, _headers = get(f"{base}/metrics")
    finally:
        errors = stop(server)

    # Each /healthz sent was answered once (a refused connection is retried, never counted), by
    # both workers (each wrote its own counter file): the count is the sum of theirs.
    counted = re.search(
        r'http_requests_total\{method="GET",route="/healthz",status="200"\} (\d+)', metrics
    )
    assert counted and int(counted.group(1)) == sent, metrics
    assert len(list(tmp_path.glob("counter_*.db"))) >= 2
    assert re.search(r'app_build_info\{version="[^"]+"\} 1\.0', metrics)
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    traced = [line for line in lines if line.get("request_id") == "trace-42"]
    assert traced and traced[0]["path"] == "/api/greeting/v1"
    assert ACCESS_FIELDS <= set(traced[0]), traced[0]
    assert not [line for line in lines if line.get("path") == "/healthz"], "probes log at DEBUG"
    assert any(line.get("logger") == "_granian" for line in lines), "granian's own lines"
    assert all(line.startswith("{") for line in errors.splitlines() if line.strip()), errors


def test_metrics_can_require_a_token(make_app: Any) -> None:
    """With METRICS_TOKEN set, /metrics answers only that bearer token."""
    client: FlaskClient = make_app(METRICS_TOKEN="s3cret").test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200
    assert "http_requests_total" in allowed.get_data(as_text=True)


def test_metrics_stay_out_of_the_spec(app: Flask, client: FlaskClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").get_json()["paths"]
    assert app.config["LOG_FORMAT"] == "text", "text outside production, unless asked"
