"""A fresh bake passes its own pre-commit hooks, offline, from the project's dev environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.bakery import bake
from tests.matrix import combination_id, combinations
from tests.projects import PYTHON, run
from tests.test_contract import PAIRS


@pytest.mark.cost(4)
@pytest.mark.parametrize("combo", PAIRS, ids=[combination_id(c) for c in PAIRS])
def test_fresh_bake_passes_pre_commit(combo: dict[str, Any], tmp_path: Path, cookies: Any) -> None:
    """`pre-commit run --all-files` passes right after `git init && git add -A`.

    Its mypy hook runs `mypy` with the project's configuration, exactly what test_bake_is_clean
    runs on every combination; here it runs once, on the default combination, and the other
    hooks run on every auth x database pair.
    """
    project = bake(cookies, combo)
    env = {
        **os.environ,
        "SKIP": "" if combo == combinations()[0] else "mypy",
        # The hooks are commands of the dev environment (repo: local), found on PATH.
        "PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    run(["git", "init", "-q"], project, env)
    run(["git", "add", "-A"], project, env)
    output = run(
        [PYTHON, "-m", "pre_commit", "run", "--all-files", "--color", "never"], project, env
    )
    assert "Failed" not in output and "ruff check" in output, output
