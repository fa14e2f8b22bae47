"""The auth fixtures for auth=none: every caller is anonymous, so there is nothing to set up."""

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask


class Anonymous:
    """Stands where the other backends make tokens and log in: no headers, no settings."""

    def headers(self, subject: str = "alice", scopes: Iterable[str] = ()) -> dict[str, str]:
        return {}

    def settings(self) -> dict[str, Any]:
        return {}

    def prepare(self, app: Flask) -> None:
        """No users to create."""

    def login(self, client: Any) -> None:
        """No login: the client calls as the anonymous caller."""

    def over_http(self, url: str) -> tuple[dict[str, str], tuple[str, ...]]:
        """No headers, no secrets."""
        return {}, ()


@pytest.fixture(scope="session")
def auth() -> Anonymous:
    return Anonymous()


@pytest.fixture(scope="session")
def served_auth(auth: Anonymous) -> Anonymous:
    return auth


@pytest.fixture
def auth_settings() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def reset_auth() -> Callable[[Flask], None]:
    return lambda app: None
