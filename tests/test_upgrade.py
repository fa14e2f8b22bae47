"""Upgrading generated projects, with cruft and with the project's scripts/upgrade_template.py.

The template is copied into a git repository of two releases: this working tree, tagged
v<__template_version>, and a next release that changes what releases change (a new file, a
changed line, a changed project table, a new question). Projects baked from the first are edited
as their users would, committed, and upgraded to the second with real git, cruft and cookiecutter.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from tests.bakery import fingerprint, run_once
from tests.matrix import TEMPLATE, combinations
from tests.projects import PYTHON, SUITE_TABLES, project_env, run, run_suite
from tests.releases import commit_all, git, upgrade_script

CRUFT = [PYTHON, "-m", "cruft"]
TEMPLATE_CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text())
VERSION, SOURCE = TEMPLATE_CONTEXT["__template_version"], TEMPLATE_CONTEXT["__template_source"]
NEXT = re.sub(r"\.(\d+)\.\d+$", lambda m: f".{int(m[1]) + 1}.0", VERSION)
OLD, NEW = f"v{VERSION}", f"v{NEXT}"
DEFAULT = combinations()[0]
OTHER = {"auth": "oidc", "database": "postgresql", "docker": False, "ci": "gitlab"}

# The line of the generated README that the next release changes, and a user's rewrite of it.
RELEASED_BEFORE = "autogenerate does not see renames."
RELEASED_AFTER = "autogenerate misses renames and server defaults."
USERS_REWRITE = "autogenerate is reviewed by two people here."
USERS_SECTION = "\n## Deploying\n\nSee docs/runbook.md.\n"
RUNBOOK = "# Runbook\n\nRestart with systemctl restart api.\n"


def replace(path: Path, old: str, new: str) -> None:
    """Change one piece of text, failing if it is gone, so the fixture cannot drift silently."""
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the template: OLD is this working tree, NEW the next release."""
    repo = tmp_path_factory.mktemp("releases") / "template"
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], TEMPLATE)
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, repo / name)
    git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, f"Release {VERSION}", tag=OLD)

    project = repo / "{{cookiecutter.project_slug}}"
    replace(project / "README.md", RELEASED_BEFORE, RELEASED_AFTER)
    replace(
        project / "pyproject.toml",
        'readme = "README.md"',
        'readme = "README.md"\nkeywords = ["api"]',
    )
    (project / ".editorconfig").write_text(
        "root = true\n\n[*.py]\nmax_line_length = {{ cookiecutter.line_length }}\n"
    )
    context = json.loads((repo / "cookiecutter.json").read_text())
    context.update(line_length="100", __template_version=NEXT)
    (repo / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n")
    replace(repo / "CHANGELOG.md", f"## {VERSION}", f"## {NEXT}: editorconfig\n\n## {VERSION}")
    commit_all(repo, f"Release {NEXT}", tag=NEW)
    return repo


def cruft_create(template: Path, output: Path, answers: dict[str, Any]) -> Path:
    """Bake the OLD release with cruft, as `cruft create` users do."""
    options = ["--no-input", "--checkout", OLD, "--extra-context", json.dumps(answers)]
    run([*CRUFT, "create", *options, "--output-dir", str(output), str(template)], output)
    return output / "my-flask-api"


def cookiecutter_bake(template: Path, output: Path) -> Path:
    """Bake the OLD release of the default combination with cookiecutter's Python API."""
    source = f"git+{template.as_uri()}"
    made = cookiecutter(
        source, checkout=OLD, no_input=True, extra_context=DEFAULT, output_dir=output
    )
    return Path(made)


def edit_as_user(project: Path, overlapping: bool) -> None:
    """Commit the baked project, then a user's edits: the README and a file of their own."""
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "Bake the project")
    readme = project / "README.md"
    if overlapping:
        replace(readme, RELEASED_BEFORE, USERS_REWRITE)
    else:
        readme.write_text(readme.read_text() + USERS_SECTION)
    (project / "docs").mkdir()
    (project / "docs" / "runbook.md").write_text(RUNBOOK)
    commit_all(project, "Our own changes")


def assert_upgraded(project: Path, secret: str) -> None:
    """The release arrived, the user's edits and secret stayed, and nothing was rejected."""
    readme = (project / "README.md").read_text()
    assert RELEASED_AFTER in readme and RELEASED_BEFORE not in readme
    assert readme.endswith(USERS_SECTION)
    assert (project / "docs" / "runbook.md").read_text() == RUNBOOK
    assert "max_line_length = 100" in (project / ".editorconfig").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["keywords"] == ["api"]
    assert pyproject["tool"]["template"]["version"] == NEXT
    answers = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert answers["line_length"] == "100", "a question added later takes its default"
    assert not [*project.rglob("*.rej"), *project.rglob("*.orig")]
    assert (project / ".env").read_text() == secret


def test_template_version_is_the_newest_changelog_entry() -> None:
    """cookiecutter.json's __template_version names the newest release in CHANGELOG.md."""
    entries = re.findall(r"^## (\d+\.\d+\.\d+)\b", (TEMPLATE / "CHANGELOG.md").read_text(), re.M)
    assert entries, "CHANGELOG.md has no '## X.Y.Z' entry"
    assert VERSION == entries[0]


def test_the_upgrade_script_takes_the_template_source_the_project_records(
    baked: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    """The template's location is written once, in cookiecutter.json: the project records it in
    [tool.template] source, and its upgrade script defaults to that."""
    project = baked(DEFAULT)
    usage = run([PYTHON, "scripts/upgrade_template.py", "--help"], project)
    assert f"[tool.template] source: {SOURCE}" in " ".join(usage.split())

    # A project that records no source (made before it was recorded) must name one.
    shutil.copytree(project / "scripts", tmp_path / "scripts")
    pyproject = (project / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject.replace(f'source = "{SOURCE}"\n', ""))
    refused = subprocess.run(
        [PYTHON, "scripts/upgrade_template.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "no [tool.template] source; pass --template SRC" in refused.stderr


@pytest.mark.parametrize("answers", [DEFAULT, OTHER], ids=["default", "oidc-postgresql-gitlab"])
def test_cruft_sees_a_fresh_project_as_clean(
    answers: dict[str, Any], releases: Path, tmp_path: Path
) -> None:
    """cruft check passes and cruft diff is empty: no private variable or .env shows up."""
    project = cruft_create(releases, tmp_path, answers)

    run([*CRUFT, "check", "--checkout", OLD], project)
    diff = run([*CRUFT, "diff", "--exit-code"], project)  # exit 1 on any difference
    assert "diff --git" not in diff, diff  # what is left is the hook's next steps
    assert tomllib.loads((project / "pyproject.toml").read_text())["tool"]["template"] == {
        "version": VERSION,
        "source": SOURCE,
    }
    recorded = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert not [key for key in recorded if key.startswith("_")], "replays must not pin a version"


def test_cruft_update_brings_a_release_into_an_edited_project(
    releases: Path, tmp_path: Path
) -> None:
    """cruft update applies the release around the user's edits, with no .rej file."""
    project = cruft_create(releases, tmp_path, DEFAULT)
    edit_as_user(project, overlapping=False)
    secret = (project / ".env").read_text()
    stale = subprocess.run([*CRUFT, "check"], cwd=project, capture_output=True, check=False)
    assert stale.returncode == 1, "the template's default branch is a release ahead"

    run([*CRUFT, "update", "-y", "--checkout", NEW], project)

    assert_upgraded(project, secret)
    cruft_state = json.loads((project / ".cruft.json").read_text())
    assert cruft_state["commit"] == git("rev-parse", NEW, cwd=releases)
    run([*CRUFT, "check"], project)
    env = {**project_env(project, None), "APP_ENV": "development"}
    env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "migrate.sqlite3")
    for command in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "."]):
        run([PYTHON, "-m", *command], project, env)
    for command in ("upgrade", "check"):
        run([PYTHON, "-m", "flask", "--app", "my_flask_api", "db", command], project, env)


@pytest.mark.cost(4)
def test_upgrade_script_merges_a_release_into_an_edited_project(
    releases: Path, tmp_path: Path, redis_url: str | None, outcomes: Path
) -> None:
    """It starts the template branch, merges the release, keeps the user's work; tests pass.

    The merged code, tests and suite settings are the default combination's, byte for byte: its
    suite runs once in the run, here or in the matrix, keyed by what it reads.
    """
    project = cookiecutter_bake(releases, tmp_path)
    edit_as_user(project, overlapping=False)
    secret = (project / ".env").read_text()
    edited = git("rev-parse", "HEAD", cwd=project)

    same = upgrade_script(project, releases, OLD)
    assert (same.returncode, same.stderr) == (0, ""), same.stdout
    assert "nothing to merge" in same.stdout
    assert git("rev-parse", "HEAD^2", cwd=project) == git("rev-parse", "template", cwd=project)
    assert git("diff", "--stat", edited, "HEAD", cwd=project) == "", "-s ours changes no file"

    merged = upgrade_script(project, releases, NEW)
    assert merged.returncode == 0, merged.stderr
    assert_upgraded(project, secret)
    assert git("status", "--porcelain", cwd=project) == ""
    assert git("log", "--format=%s", "template", cwd=project).count("\n") == 1, "two renders"
    assert set(git("log", "--format=%an", "template", cwd=project).split("\n")) == {
        "upgrade_template"
    }, "commits as a placeholder only where git has no identity"
    head = git("rev-parse", "HEAD", cwd=project)
    again = upgrade_script(project, releases, NEW)
    assert again.returncode == 0 and "nothing to merge" in again.stdout
    assert git("rev-parse", "HEAD", cwd=project) == head

    (project / "scratch.txt").write_text("work in progress\n")
    dirty = upgrade_script(project, releases, NEW)
    assert dirty.returncode == 1 and dirty.stderr.count("\n") == 1
    assert "uncommitted changes" in dirty.stderr
    (project / "scratch.txt").unlink()

    env = {**project_env(project, None, redis_url), "APP_ENV": "development"}
    env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "migrate.sqlite3")
    run([PYTHON, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "scripts"], project, env)
    key = "suite-" + fingerprint(project, pyproject_tables=SUITE_TABLES)
    run_once(outcomes, key, lambda: run_suite(project, env))


def test_upgrade_script_leaves_an_overlapping_edit_as_a_conflict(
    releases: Path, tmp_path: Path
) -> None:
    """A line both sides changed stops the merge with a one-line summary naming the file."""
    project = cookiecutter_bake(releases, tmp_path)
    edit_as_user(project, overlapping=True)

    result = upgrade_script(project, releases, NEW)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "conflicts in README.md" in result.stderr
    assert git("diff", "--name-only", "--diff-filter=U", cwd=project) == "README.md"
    readme = (project / "README.md").read_text()
    assert "<<<<<<<" in readme and USERS_REWRITE in readme and RELEASED_AFTER in readme
    assert (project / ".editorconfig").is_file(), "the rest of the release is staged"

    git("merge", "--abort", cwd=project)
    again = upgrade_script(project, releases, NEW)
    assert again.returncode == 1 and "conflicts in README.md" in again.stderr, "not forgotten"


def test_cruft_update_reports_an_overlapping_edit(releases: Path, tmp_path: Path) -> None:
    """cruft leaves conflict markers or a .rej file, and keeps the user's line."""
    project = cruft_create(releases, tmp_path, DEFAULT)
    edit_as_user(project, overlapping=True)

    command = [*CRUFT, "update", "-y", "--checkout", NEW]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)

    readme = (project / "README.md").read_text()
    assert USERS_REWRITE in readme
    assert "<<<<<<<" in readme or (project / "README.md.rej").is_file()
    assert "README.md" in result.stdout + result.stderr
