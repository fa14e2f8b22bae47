"""Baking the template as a user would, and sharing what identical bakes would prove again.

Checks of byte-identical inputs share one outcome (run_once), keyed by a fingerprint of what the
check reads; the xdist workers of a run share the outcomes through files, under a file lock.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from filelock import FileLock

from tests.matrix import combination_id, export_template


@functools.cache
def template_files() -> Path:
    """The template's own files, copied once per process (tests.matrix.export_template)."""
    export = Path(tempfile.mkdtemp(prefix="template-"))
    atexit.register(shutil.rmtree, export, ignore_errors=True)
    return export_template(export)


def bake(cookies: Any, answers: dict[str, Any]) -> Path:
    """Render the template with its hooks through pytest-cookies (its `cookies` or
    `cookies_session` fixture), as a user would; a failed bake fails the test with its error."""
    result = cookies.bake(extra_context=answers, template=str(template_files()))
    if result.exception is not None:
        pytest.fail(f"baking {answers} failed: {result.exception!r}", pytrace=False)
    return Path(result.project_path)


def replay(replay_file: Path, output_dir: Path) -> Path:
    """Render again from a replay file, with cookiecutter's public API: pytest-cookies bakes
    from answers only."""
    made = cookiecutter(str(template_files()), replay=str(replay_file), output_dir=str(output_dir))
    return Path(made)


def bake_once(outcomes: Path, cookies_session: Any, combo: dict[str, Any]) -> Path:
    """The run's one bake of combo, made by the first worker that asks; tests only read it."""
    name = hashlib.sha256(combination_id(combo).encode()).hexdigest()[:20]
    output = outcomes / f"bake-{name}"
    with exclusive(output):
        if not output.is_dir():
            partial = output.with_name(output.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            project = bake(cookies_session, combo)
            shutil.move(project, partial / project.name)
            partial.rename(output)
    (project,) = output.iterdir()
    return project


def fingerprint(project: Path, pyproject_tables: tuple[str, ...] | None = None) -> str:
    """Hash what a check reads, so identical renders are recognised.

    That is the Makefile (the checks' commands), src/, tests/ and pyproject.toml, or only the
    named tables of pyproject.toml.
    """
    digest = hashlib.sha256()
    parts = ("src", "tests") if pyproject_tables else ("pyproject.toml", "src", "tests")
    if pyproject_tables:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        for dotted in pyproject_tables:
            value: Any = pyproject
            for key in dotted.split("."):
                value = value.get(key, {})
            digest.update(json.dumps([dotted, value], sort_keys=True).encode())
    for part in ("Makefile", *parts):
        root = project / part
        found = root.rglob("*") if root.is_dir() else [root]
        files = sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path.relative_to(project)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def exclusive(path: Path) -> FileLock:
    """A lock on path's name, held across the workers of the run."""
    return FileLock(path.with_name(path.name + ".lock"))


def run_once(outcomes: Path, key: str, check: Callable[[], None]) -> None:
    """Run check once per key in this run, across workers; identical inputs reuse its outcome.

    Options that change no file a check reads (docker, ci) render byte-identical inputs;
    checking them again would prove nothing new.
    """
    outcome = outcomes / f"{key}.outcome"
    with exclusive(outcome):
        if outcome.exists():
            recorded = outcome.read_text()
            if recorded != "passed":
                pytest.fail(f"an identical input failed this check:\n{recorded}", pytrace=False)
            return
        try:
            check()
        except BaseException as error:
            outcome.write_text(str(error) or repr(error))
            raise
        outcome.write_text("passed")


def record_passed(outcomes: Path, key: str) -> None:
    """Record that a check passed for key, unless this run has already recorded its outcome.

    For a check that must run anyway on a stronger footing (a fresh install runs the suite of
    its combination): the matrix's run_once of the same key then reuses it.
    """
    outcome = outcomes / f"{key}.outcome"
    with exclusive(outcome):
        if not outcome.exists():
            outcome.write_text("passed")
