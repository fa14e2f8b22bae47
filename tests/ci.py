"""What differs under CI: a missing tool or server is a failure there, a skip elsewhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

# The one definition of "in CI", as GitHub Actions, GitLab CI and .ci/run set it.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str, in_ci: bool = IN_CI) -> NoReturn:
    """Stop the test for lack of something the machine should provide: fail under CI, else skip
    with the reason (a developer's machine may lack a server or an interpreter)."""
    if in_ci:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)
