"""Running a baked project's commands: its Makefile, its suite, in the environment CI gives it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests import interpreters
from tests.ci import IN_CI, unavailable


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> str:
    """Run a command in a baked project; fail the test with its output if it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}",
            pytrace=False,
        )
    return result.stdout


def project_env(
    project: Path, database_url: str | None, redis_url: str | None = None
) -> dict[str, str]:
    """The environment a generated suite runs in: the shared venv, the project's source, and
    the harness's servers."""
    # Bytecode is written, as on a developer's machine (a shell with PYTHONDONTWRITEBYTECODE set
    # makes each process compile again all it imports: in a fresh virtualenv, whose libraries are
    # installed uncompiled, that is seconds per process).
    unset = {"DATABASE_URL", "TEST_DATABASE_URL", "APP_CONFIG_FILE", "PYTHONPATH"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in unset and key != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPATH"] = str(project / "src")
    # Its own root for pytest's temporary directories: pytest deletes all but the newest three
    # under the root at the end of a run, and the shared one holds every other suite's.
    temproot = project.parent / "pytest-temp"
    temproot.mkdir(exist_ok=True)
    env["PYTEST_DEBUG_TEMPROOT"] = str(temproot)
    env.pop("TEST_REDIS_URL", None)
    if redis_url:
        env["TEST_REDIS_URL"] = redis_url
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
        env["DATABASE_URL"] = database_url
    return env


PYTHON = sys.executable
# A make running the harness (the template's `make test`) exports these; the project's own make
# would take them as its command line and say it is a sub-make.
PARENT_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
# What a generated suite reads of pyproject.toml; lint targets and license metadata aside.
SUITE_TABLES = ("project.dependencies", "project.optional-dependencies", "tool.pytest")


def make(project: Path, *arguments: str, env: dict[str, str] | None = None) -> str:
    """Run `make ARGUMENTS` in a baked project: its Makefile is the checks' entry point, as in
    its CI."""
    env = {k: v for k, v in (env or os.environ).items() if k not in PARENT_MAKE}
    return run(["make", *arguments], project, env)


def run_suite(
    project: Path, env: dict[str, str], python: str = PYTHON, migrate: bool = True
) -> None:
    """Migrate (unless the caller has) and run the project's own tests, through its Makefile, as
    its CI does.

    The suite's test_migrations downgrades, upgrades and runs `db check` (models against the
    migrations) on its own database.
    """
    targets = ["migrate", "test"] if migrate else ["test"]
    flags = "PYTEST_FLAGS=-q -p no:cacheprovider"
    output = make(project, *targets, f"PYTHON={python}", flags, env=env)
    assert re.search(r"\d+ passed", output), output


def python_for(version: str, in_ci: bool = IN_CI) -> Path:
    """The interpreter of a python_version answer; missing, a failure under CI=true, else a skip."""
    try:
        return interpreters.find_python(version)
    except interpreters.InterpreterUnavailable as missing:
        unavailable(str(missing), in_ci)


def load_oidc_provider(project: Path) -> Any:
    """An auth=oidc project's own test OpenID provider (its tests/oidc_provider package, loaded
    under a name of its own, so that two projects' providers never share a module), not started."""
    package = project / "tests" / "oidc_provider"
    name = f"oidc_provider_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its relative imports look their package up there
    spec.loader.exec_module(module)
    return module.OIDCProvider()
