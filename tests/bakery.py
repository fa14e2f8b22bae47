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

import cookiecutter.generate
import cookiecutter.main
import jinja2
import pytest
from cookiecutter.utils import create_env_with_context
from filelock import FileLock

from tests.matrix import combination_id, export_template


@functools.cache
def template_files() -> Path:
    """The template's own files, copied once per process (tests.matrix.export_template)."""
    export = Path(tempfile.mkdtemp(prefix="template-"))
    atexit.register(shutil.rmtree, export, ignore_errors=True)
    return export_template(export)


class CompiledTemplates(jinja2.BytecodeCache):
    """Each template file's compiled code, kept in memory by the process for its later bakes.

    Jinja checks the source's checksum on every load, so a changed template compiles again.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if code := self.compiled.get(bucket.key):
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


def render(template: str, output_dir: Path, **options: Any) -> Path:
    """cookiecutter(template, ...) in this process, its hooks included, as a user would run it.

    Its Jinja environment reuses what earlier bakes compiled (a third of a bake's CPU time):
    the render is the same. cookiecutter leaves its rendered hooks and the emptied directory of
    its template copy in the temporary directory on every run: it gets one removed afterwards.
    """

    def environment(context: dict[str, Any]) -> Any:
        env = create_env_with_context(context)
        env.bytecode_cache = COMPILED
        return env

    with (
        tempfile.TemporaryDirectory(prefix="bake-") as scratch,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(tempfile, "tempdir", scratch)
        patch.setattr(cookiecutter.generate, "create_env_with_context", environment)
        return Path(cookiecutter.main.cookiecutter(template, output_dir=str(output_dir), **options))


def bake(output_dir: Path, answers: dict[str, Any]) -> Path:
    """Render the template with its hooks, as a user would, and return the project."""
    return render(str(template_files()), output_dir, no_input=True, extra_context=answers)


def bake_once(outcomes: Path, combo: dict[str, Any]) -> Path:
    """The run's one bake of combo, made by the first worker that asks; tests only read it."""
    name = hashlib.sha256(combination_id(combo).encode()).hexdigest()[:20]
    output = outcomes / f"bake-{name}"
    with exclusive(output):
        if not output.is_dir():
            partial = output.with_name(output.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            bake(partial, combo)
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
