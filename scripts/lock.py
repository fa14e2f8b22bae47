"""Resolve the hash-pinned locks every generated project ships, and the template's own
(requirements-dev.txt): `make lock` (needs the network).

Generation stays offline: the locks are resolved here, by a maintainer, and stored in
templates/locks/.
A project's dependencies depend only on its auth, database and tasks answers (LOCK_KEYS), so
there is one runtime lock (requirements.txt) and one with the dev extra (requirements-dev.txt)
per set of those answers, resolved once for every Python the template offers (uv's universal
resolution, from 3.11 up).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
# cookiecutter looks for {% include %} files in templates/ beside the project folder.
LOCKS = TEMPLATE / "templates" / "locks"
# The template's own tooling (pyproject.toml's dev group), installed by `make`.
TOOLING = TEMPLATE / "requirements-dev.txt"
REFRESH = "make lock (in the project template)"
# The generated Dockerfile mounts uv from its image at the release the tooling locks, the one the
# image stage stands in for it.
DOCKERFILE = TEMPLATE / "{{cookiecutter.project_slug}}" / "Dockerfile"
UV_IMAGE = re.compile(r"(--mount=from=ghcr\.io/astral-sh/uv:)([^\s,]+)")
# The questions whose answers change the dependencies, in the order lock names list them.
LOCK_KEYS = ("auth", "database", "tasks")


def lock_name(answers: Mapping[str, Any], dev: bool) -> str:
    """The file in locks/ for these answers; the template's requirements*.txt include it by this
    name."""
    return "-".join(str(answers[key]) for key in LOCK_KEYS) + ("-dev" if dev else "") + ".txt"


def lock_answers(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every set of LOCK_KEYS answers cookiecutter.json offers."""
    values = [context[key] for key in LOCK_KEYS]
    return [dict(zip(LOCK_KEYS, chosen, strict=True)) for chosen in itertools.product(*values)]


def lock_tooling(python: str) -> None:
    """The template's own tooling, its dev dependency group, into requirements-dev.txt: what
    `make` installs with --require-hashes, so the matrix runs the same tools until this is run
    again."""
    group = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    command = [sys.executable, "-m", "uv", "pip", "compile", "-", "--universal"]
    command += ["--python-version", python, "--generate-hashes", "--quiet"]
    command += ["--custom-compile-command", REFRESH, "--output-file", str(TOOLING)]
    subprocess.run(command, input="\n".join(group), text=True, cwd=TEMPLATE, check=True)
    print(f"locked the template's tooling into {TOOLING.name}")
    uv = re.search(r"^uv==(\S+)", TOOLING.read_text(), re.M)
    assert uv, "the template's tooling locks no uv"
    DOCKERFILE.write_text(UV_IMAGE.sub(rf"\g<1>{uv[1]}", DOCKERFILE.read_text()))
    print(f"the Dockerfile mounts uv {uv[1]}")


def dockerfile_uv() -> str:
    """The uv release the generated Dockerfile mounts, the same in every step."""
    releases = {found[2] for found in UV_IMAGE.finditer(DOCKERFILE.read_text())}
    assert len(releases) == 1, f"the Dockerfile mounts uv from ghcr.io/astral-sh/uv at {releases}"
    return releases.pop()


def main() -> int:
    context = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    oldest = min(context["python_version"], key=lambda v: tuple(map(int, v.split("."))))
    lock_tooling(oldest)
    LOCKS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for answers in lock_answers(context):
            out = Path(scratch) / lock_name(answers, dev=False).removesuffix(".txt")
            # Only pyproject.toml is read, so the hooks (which write .env) need not run.
            project = Path(
                cookiecutter(
                    str(TEMPLATE),
                    no_input=True,
                    extra_context=answers,
                    output_dir=str(out),
                    accept_hooks=False,
                )
            )
            for dev in (False, True):
                command = [sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml"]
                command += ["--universal", "--python-version", oldest, "--generate-hashes"]
                # No "# via" notes: they would name this scratch project, not the user's.
                command += ["--custom-compile-command", REFRESH, "--no-annotate", "--quiet"]
                command += ["--output-file", str(LOCKS / lock_name(answers, dev))]
                if dev:
                    command += ["--extra", "dev"]
                subprocess.run(command, cwd=project, check=True)
            print("locked " + " x ".join(answers.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
