"""The template's releases as its git history records them, and the git a project upgrade runs.

A release is the `__template_version` that cookiecutter.json names; the previous release is the
newest commit whose cookiecutter.json names another version than the working tree's.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.matrix import TEMPLATE
from tests.projects import PYTHON, run

GIT = ["git", "-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]


class HistoryUnavailable(Exception):
    """The repository's history cannot show the previous release; the message says why."""


def git(*args: str, cwd: Path) -> str:
    """Run git as the tests' own identity; a failure fails the test with its output."""
    return run([*GIT, *args], cwd).strip()


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    """Commit every change in repo, and tag it if asked."""
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    if tag:
        git("tag", "-f", tag, cwd=repo)


def upgrade_script(project: Path, template: Path, ref: str) -> subprocess.CompletedProcess[str]:
    """Run the project's own upgrade command, as its README says, where git knows no identity."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    command = [PYTHON, "scripts/upgrade_template.py", "--template", str(template), "--ref", ref]
    return subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def history(*args: str, repo: Path) -> str:
    """git's answer about the repository's history, or HistoryUnavailable with its first line."""
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if result.returncode:
        first = (result.stderr or result.stdout).strip().splitlines()[:1] or ["(no output)"]
        raise HistoryUnavailable(f"git {' '.join(args)}: {first[0]}")
    return result.stdout.strip()


def version_at(commit: str, repo: Path) -> str:
    """The release a commit's cookiecutter.json names."""
    context = json.loads(history("show", f"{commit}:cookiecutter.json", repo=repo))
    version: str = context["__template_version"]
    return version


def previous_release(repo: Path = TEMPLATE) -> tuple[str, str]:
    """(version, commit) of the release before the working tree's."""
    if history("rev-parse", "--is-shallow-repository", repo=repo) == "true":
        raise HistoryUnavailable(
            f"{repo} is a shallow clone, so the previous release is not in its history"
            " (git fetch --unshallow)"
        )
    current = json.loads((repo / "cookiecutter.json").read_text())["__template_version"]
    touching = history("rev-list", "--first-parent", "HEAD", "--", "cookiecutter.json", repo=repo)
    newer = None  # the newest commit still at the current version; None: the working tree
    for commit in touching.split():
        version = version_at(commit, repo)
        if version != current:
            return version, history("rev-parse", f"{newer}^" if newer else "HEAD", repo=repo)
        newer = commit
    raise HistoryUnavailable(f"no commit of {repo} names a release before {current}")
