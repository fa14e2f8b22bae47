"""Every combination ships hash-pinned locks that satisfy what its pyproject.toml declares.

The locks are resolved by `make lock` (scripts/lock.py) and stored in templates/locks/; baking
copies the pair's into requirements.txt and requirements-dev.txt, offline.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.lock import LOCKS, TOOLING, dockerfile_uv, lock_answers, lock_name
from tests.bakery import bake
from tests.matrix import TEMPLATE, combination_id, combinations

# name==version[ ; marker] \, then one or more --hash lines.
PIN = re.compile(
    r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;[^\\]*)?\\\n((?:\s+--hash=sha256:[0-9a-f]{64}\s*\\?\n?)+)",
    re.M,
)
CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text())
PAIRS = [{**combinations()[0], **answers} for answers in lock_answers(CONTEXT)]


def pins(lock: str) -> dict[str, list[str]]:
    """The pinned versions of a lock by canonical name, each pin with its hashes.

    A universal lock may pin one name twice, for different Pythons (under markers).
    """
    found: dict[str, list[str]] = {}
    matches = PIN.findall(lock)
    for name, version, _hashes in matches:
        found.setdefault(canonicalize_name(name), []).append(version)
    requirement_lines = [line for line in lock.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert len(matches) == len(requirement_lines), "a pinned line without --hash=sha256"
    return found


def assert_satisfies(lock: str, declared: list[str]) -> None:
    pinned = pins(lock)
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{text} is declared but not locked"
        for version in pinned[name]:
            assert requirement.specifier.contains(version, prereleases=True), (text, version)


def test_every_set_of_dependency_answers_has_its_locks() -> None:
    """No combination lacks a lock: one runtime and one dev lock per auth x database x tasks."""
    expected = {
        lock_name(answers, dev) for answers in lock_answers(CONTEXT) for dev in (False, True)
    }
    assert {path.name for path in LOCKS.iterdir()} == expected


@pytest.mark.parametrize("combo", PAIRS, ids=[combination_id(c) for c in PAIRS])
def test_baked_locks_satisfy_the_declared_dependencies(combo: dict[str, Any], cookies: Any) -> None:
    """requirements.txt pins every runtime dependency; requirements-dev.txt the dev extra too."""
    project = bake(cookies, combo)
    declared = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    runtime = (project / "requirements.txt").read_text()
    development = (project / "requirements-dev.txt").read_text()
    assert runtime == (LOCKS / lock_name(combo, dev=False)).read_text()
    assert_satisfies(runtime, declared["dependencies"])
    assert_satisfies(development, declared["dependencies"])
    assert_satisfies(development, declared["optional-dependencies"]["dev"])
    assert set(pins(runtime)) <= set(pins(development))


def test_the_template_tooling_is_locked() -> None:
    """requirements-dev.txt pins, with hashes, every tool of pyproject.toml's dev group: what
    `make` installs (--require-hashes), so the matrix runs the same tools until `make lock`."""
    group = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert_satisfies(TOOLING.read_text(), group)
    makefile = (TEMPLATE / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.txt" in makefile


def test_the_dockerfile_mounts_the_uv_the_tooling_locks() -> None:
    """The generated Dockerfile's uv release is the template's locked uv, the one the image stage
    stands in for it: `make lock` moves both."""
    assert dockerfile_uv() == pins(TOOLING.read_text())["uv"][0]
