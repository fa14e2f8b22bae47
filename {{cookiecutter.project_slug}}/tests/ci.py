"""What a test does when something it needs is missing: skip here, fail in CI, where it must be."""

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """CI=true (or 1, yes), as GitHub Actions, GitLab CI and most others set it."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(message: str) -> NoReturn:
    """Skip the test for want of message's tool; under CI, fail it."""
    if in_ci():
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)
