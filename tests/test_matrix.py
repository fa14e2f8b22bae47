"""Bake every combination and prove the generated project works on its real database."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hooks.post_gen_project import OPTION_PATHS, paths_to_remove
from tests.bakery import bake, fingerprint, record_passed, replay, run_once, template_files
from tests.containers import unclaimed_port
from tests.matrix import combination_id, combinations, options
from tests.projects import PYTHON, SUITE_TABLES, make, project_env, python_for, run, run_suite
from tests.readme import first_block, serve_block

LINT_TABLES = ("project.dependencies", "project.optional-dependencies", "tool")

COMBINATIONS = combinations()
# The generated suite is the same for every combination of one auth x database x tasks answer
# (the other answers change no file it reads): its tests are one unit of work (an xdist group,
# see tests/scheduling.py), so one worker computes the shared outcome and the others reuse it.
SUITE_KEYS = ("auth", "database", "tasks")


def by_suite(combos: list[dict[str, Any]]) -> list[Any]:
    """The combinations as parameters, each in its suite's xdist group."""
    return [
        pytest.param(
            combo,
            id=combination_id(combo),
            marks=pytest.mark.xdist_group("suite-" + "-".join(combo[k] for k in SUITE_KEYS)),
        )
        for combo in combos
    ]


PARAMS = by_suite(COMBINATIONS)
# GitHub Actions' own ${{ ... }} expressions are meant to stay.
JINJA_LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|\{#")
# The dependency only each answer brings: option -> value -> distribution name. (The client's
# platformdirs comes with both token and oidc, so it is no answer's alone.)
EXCLUSIVE_DEPENDENCIES = {
    "database": {"postgresql": "psycopg", "mysql": "pymysql"},
    "auth": {"token": "flask-jwt-extended", "oidc": "flask-oidc"},
    "tasks": {"celery": "celery"},
}


def text_files(project: Path) -> list[Path]:
    """Every file of the project that decodes as text (the .env secret aside)."""
    found = []
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.name != ".env":
            try:
                path.read_text()
            except UnicodeDecodeError:
                continue
            found.append(path)
    return found


@pytest.mark.parametrize("combo", PARAMS)
def test_bake_is_clean(
    combo: dict[str, Any],
    baked: Callable[[dict[str, Any]], Path],
    outcomes: Path,
    mypy_cache: Path,
) -> None:
    """It renders without leftovers, keeps only its options' files, and passes the linters."""
    project = baked(combo)
    answers = {**combo, "package_name": "my_flask_api"}

    for relative in paths_to_remove(answers, OPTION_PATHS):
        assert not (project / relative).exists(), f"{relative} belongs to an unchosen option"
    for path in text_files(project):
        # A package's templates/ folder holds Flask's own Jinja templates, rendered at run time.
        if "templates" not in path.relative_to(project).parts:
            assert not JINJA_LEFTOVER.search(path.read_text()), f"Jinja left in {path}"
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())

    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    for option, by_value in EXCLUSIVE_DEPENDENCIES.items():
        for value, distribution in by_value.items():
            declared = any(dependency.startswith(distribution) for dependency in dependencies)
            assert declared == (combo[option] == value), f"{distribution} in {dependencies}"

    def lint() -> None:
        cache = f"MYPY_FLAGS=--cache-dir {mypy_cache}"
        make(project, "lint", "typecheck", f"PYTHON={PYTHON}", "RUFF_FLAGS=--no-cache", cache)

    # ruff and mypy read the Makefile's commands, the Python files and pyproject's dependencies
    # and [tool] tables: the license answers, which change only metadata and LICENSE, share one.
    run_once(outcomes, "lint-" + fingerprint(project, pyproject_tables=LINT_TABLES), lint)


@pytest.mark.cost(1)
@pytest.mark.parametrize("combo", PARAMS)
def test_generated_suite_passes(
    combo: dict[str, Any],
    tmp_path: Path,
    cookies: Any,
    baked: Callable[[dict[str, Any]], Path],
    database_url: Any,
    redis_url: str | None,
    outcomes: Path,
) -> None:
    """Migrations apply with no drift and the project's own tests pass on its database."""
    key = "suite-" + fingerprint(baked(combo), pyproject_tables=SUITE_TABLES)

    def suite() -> None:
        project = bake(cookies, combo)  # a copy of its own: a suite writes caches and data
        url = database_url(combo["database"], combination_id(combo))
        # A developer's shell: production settings (an IdP, a strong JWT key) are not needed.
        env = {**project_env(project, url, redis_url), "APP_ENV": "development"}
        if url is None:  # SQLite: migrate a file of its own, as `flask db upgrade` would
            env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "migrate.sqlite3")
        run_suite(project, env)

    run_once(outcomes, key, suite)


@pytest.mark.parametrize("combo", PARAMS)
def test_bake_is_deterministic_and_replayable(
    combo: dict[str, Any], tmp_path: Path, baked: Callable[[dict[str, Any]], Path]
) -> None:
    """Replaying .cookiecutter.json (the same answers, baked again from that file alone) gives
    an identical tree, but for the fresh secret. (The run's shared bake is the first: the
    tests that read it would also be caught writing to it.)"""
    first = baked(combo)
    replayed = replay(first / ".cookiecutter.json", tmp_path / "replayed")

    assert_same_tree(first, replayed)
    assert (first / ".env").read_text() != (replayed / ".env").read_text()


def test_the_command_line_replays_a_bake(tmp_path: Path, cookies: Any) -> None:
    """`cookiecutter --replay-file .cookiecutter.json TEMPLATE`, the form the README gives
    users, renders the same tree (one combination: the replay itself is the same code path
    for every answer set, which the test above covers in-process)."""
    first = bake(cookies, COMBINATIONS[0])
    replayed_dir = tmp_path / "replayed"
    command = [PYTHON, "-m", "cookiecutter", "--replay-file", str(first / ".cookiecutter.json")]
    subprocess.run(
        [*command, "-o", str(replayed_dir), str(template_files())],
        check=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # for what cookiecutter leaves behind
    )
    assert_same_tree(first, replayed_dir / first.name)


def assert_same_tree(left: Path, right: Path) -> None:
    """Both trees hold the same files with the same bytes, .env aside."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.name != ".env"}
    assert names == {p.relative_to(right) for p in right.rglob("*") if p.name != ".env"}
    files = sorted(str(name) for name in names if (left / name).is_file())
    _match, mismatch, errors = filecmp.cmpfiles(left, right, files, shallow=False)
    assert (mismatch, errors) == ([], [])


def fresh_installs() -> list[dict[str, Any]]:
    """The default combination on every python_version answer and every database, in few installs.

    A fresh virtualenv per database proves its declared dependencies, and one per python_version
    runs the project on that Python: the values are paired, the defaults first, so the same
    installs prove both (a longer list starts the shorter one again).
    """
    choices = options()
    versions, databases = choices["python_version"], choices["database"]
    return [
        {
            **COMBINATIONS[0],
            "python_version": versions[index % len(versions)],
            "database": databases[index % len(databases)],
        }
        for index in range(max(len(versions), len(databases)))
    ]


FRESH_INSTALLS = fresh_installs()


@pytest.mark.cost(0)
@pytest.mark.parametrize("combo", by_suite(FRESH_INSTALLS))
def test_fresh_install_passes_on_its_python(
    combo: dict[str, Any],
    tmp_path: Path,
    cookies: Any,
    database_url: Any,
    redis_url: str | None,
    outcomes: Path,
) -> None:
    """The README's Run block, as written, installs with the pip that this Python's venv brings
    and serves /healthz; in that .venv, activated, the project passes its suite and lint.

    The suite is the matrix's for the same Makefile, src/, tests/ and suite tables
    (python_version changes none of them), run on a stronger footing: test_generated_suite_passes
    reuses it.
    """
    version, database = combo["python_version"], combo["database"]
    interpreter = python_for(version)
    project = bake(cookies, combo)
    # Before anything runs: serving on SQLite writes its database into src/instance.
    key = "suite-" + fingerprint(project, pyproject_tables=SUITE_TABLES)
    url = database_url(database, f"venv_{database}")
    env = project_env(project, url, redis_url)
    del env["PYTHONPATH"]  # the installed package only
    env.pop("VIRTUAL_ENV", None)
    # A machine whose python3 is this version, as it comes: a shim, so that venv records the
    # interpreter's own home.
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "python3").write_text(f'#!/bin/sh\nexec "{interpreter}" "$@"\n')
    (shims / "python3").chmod(0o755)
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    port = unclaimed_port()
    block = first_block(project, "Run")
    # On SQLite with no DATABASE_URL, as a new user would: the default file in the instance folder.
    serving = {**env, "PORT": str(port)}
    serve_block(
        block, project, serving, f"http://127.0.0.1:{port}/healthz", tmp_path / "run.log", 600
    )

    venv = project / ".venv"
    python = str(venv / "bin" / "python")
    reported = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], tmp_path)
    assert reported.strip() == version
    bundled = run([python, "-c", "import ensurepip; print(ensurepip.version())"], tmp_path)
    assert run([python, "-m", "pip", "--version"], tmp_path).split()[1] == bundled.strip(), (
        "the pip this Python's venv brings, not a newer one"
    )
    # Activated, as `. .venv/bin/activate` does: the Makefile's `python` is the venv's.
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    assert shutil.which("python", path=env["PATH"]) == python
    make(project, "migrate", env=env)
    run_suite(project, {**env, "APP_ENV": "development"}, python="python", migrate=False)
    record_passed(outcomes, key)
    make(project, "lint", "RUFF_FLAGS=--no-cache", env=env)
    if combo == FRESH_INSTALLS[0]:
        # With only the locked dev set installed: the stubs mypy --strict needs are in it. (The
        # installs differ in their database driver, which the code never imports, and the
        # matrix's lint already checks each python_version as mypy's target.)
        make(project, "typecheck", f"MYPY_FLAGS=--cache-dir {tmp_path / 'mypy'}", env=env)
    make(project, "serve", "SERVE_FLAGS=-h", env=env)
    slug = combo.get("project_slug", "my-flask-api")
    run([str(venv / "bin" / f"{slug}-client"), "--help"], project, env)
