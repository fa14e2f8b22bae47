"""Property-based: every operation keeps the contract /openapi.json publishes, for any input.

schemathesis generates valid and invalid requests from the spec and runs all of its checks on
each answer: no server error, documented statuses, content types, headers and bodies, invalid
input refused. A route you add is covered the moment it is in the spec. The allowed exceptions
are listed, with their reasons, in schemathesis.toml.
"""

import tempfile
from typing import Any

{% if cookiecutter.auth == "token" -%}
import pytest
{% endif -%}
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

{% if cookiecutter.auth == "token" -%}
from mailcatcher import Mailbox
{% endif -%}
from {{ cookiecutter.package_name }} import create_app

# The spec does not depend on the database, so an app on an empty in-memory one serves it when
# the tests are collected; each test then calls the fixture's app on the test database.
SPEC = schemathesis.openapi.from_wsgi(
    "/openapi.json",
    create_app(
        {"APP_ENV": "testing", "DATABASE_URL": "sqlite://", "INSTANCE_PATH": tempfile.gettempdir()}
    ),
)


CALLER_SCOPES = ("resources:read", "resources:write", "users:admin")


{%- if cookiecutter.auth == "token" %}


@pytest.fixture(name="settings")
def mail_settings(auth_settings: dict[str, Any], catcher: tuple[str, Mailbox]) -> dict[str, Any]:
    """Mail on, to a real SMTP server, and sign-up open: the routes that send mail answer as in
    production."""
    sender = "API <no-reply@example.org>"
    return {**auth_settings, "MAIL_URL": catcher[0], "MAIL_FROM": sender, "REGISTRATION": "open"}
{%- endif %}


# derandomize: the same cases on every run, so a CI failure is reproducible, never a flake.
@SPEC.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case: schemathesis.Case, app: Flask, auth: Any) -> None:
    """No input makes an operation answer outside its spec or with a server error. The caller
    holds every scope the routes ask for, so each operation gets past its authorization."""
    case.call_and_validate(app=app, headers=auth.headers("alice", CALLER_SCOPES))
