"""A project of the real previous release, edited and in use, upgraded to this tree.

The previous release is found in the repository's history by `__template_version`
(tests/releases.py). The project is baked from that commit, edited as its users would (a module
and a test of their own, a README section) and given a database with a user and rows, then
upgraded the way its README says, with the script that release shipped. Where the history is
shallow, the test says so in one line: a skip, or a failure under CI=true.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.bakery import fingerprint, run_once
from tests.ci import unavailable
from tests.matrix import TEMPLATE, export_template
from tests.projects import PYTHON, SUITE_TABLES, project_env, run, run_suite
from tests.releases import (
    HistoryUnavailable,
    commit_all,
    git,
    previous_release,
    upgrade_script,
)

VERSION = json.loads((TEMPLATE / "cookiecutter.json").read_text())["__template_version"]
PACKAGE = "my_flask_api"  # the default answers, as the previous release's users got them
PASSWORD = "An old release, 2 years on"
ROWS = ["first", "second", "third"]

# The users' own module and its test: they use the models and fixtures the release shipped.
MODULE = '''"""Our own report: how many resources each owner holds."""

from sqlalchemy import func, select

from .extensions import db
from .models import Resource


def resources_per_owner() -> dict[str | None, int]:
    """Count the resources of each owner."""
    rows = db.session.execute(select(Resource.owner, func.count()).group_by(Resource.owner))
    return {owner: count for owner, count in rows.tuples()}
'''
MODULE_TEST = f'''"""Our own report."""

from flask import Flask

from {PACKAGE}.extensions import db
from {PACKAGE}.models import Resource
from {PACKAGE}.reporting import resources_per_owner


def test_resources_are_counted_per_owner(app: Flask) -> None:
    """It counts each owner's resources."""
    with app.app_context():
        db.session.add_all([Resource(name="a", owner="ann"), Resource(name="b", owner="ann")])
        db.session.commit()
        assert resources_per_owner() == {{"ann": 2}}
'''
USERS_SECTION = "\n## Deploying\n\nThe platform team deploys it on Fridays.\n"

# Runs in the project, on its database: logs alice in, creates the named rows, prints all names.
DATA = """
import json, sys
from my_flask_api.app import create_app

client = create_app().test_client()
login = client.post("/api/auth/v1/login", json={"username": "alice", "password": sys.argv[1]})
assert login.status_code == 200, login.get_data(as_text=True)
headers = {"Authorization": "Bearer " + login.get_json()["access_token"]}
for name in sys.argv[2:]:
    made = client.post("/api/resources/v1", json={"name": name}, headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
page = client.get("/api/resources/v1?page_size=100", headers=headers).get_json()
print(json.dumps(sorted(item["name"] for item in page["items"])))
"""


@pytest.fixture
def releases(tmp_path: Path) -> tuple[Path, str, str]:
    """A clone of the template's repository, this working tree committed on top and tagged
    v<version>, the previous release's commit tagged too: (repository, previous, this)."""
    try:
        previous, commit = previous_release()
    except HistoryUnavailable as missing:
        unavailable(str(missing))
    repo = tmp_path / "template"
    run(["git", "clone", "-q", str(TEMPLATE), str(repo)], tmp_path)
    git("tag", "-f", f"v{previous}", commit, cwd=repo)
    git("rm", "-r", "-q", ".", cwd=repo)  # what the working tree deleted stays deleted
    export_template(repo)
    git("add", "-A", cwd=repo)
    if git("status", "--porcelain", cwd=repo):
        git("commit", "-q", "-m", "The working tree", cwd=repo)
    git("tag", "-f", f"v{VERSION}", cwd=repo)
    return repo, previous, VERSION


def bake(repo: Path, ref: str, output: Path) -> Path:
    """The default project of one release, baked from the repository as its users did."""
    output.mkdir()
    made = cookiecutter(f"git+{repo.as_uri()}", checkout=ref, no_input=True, output_dir=output)
    return Path(made)


def flask(project: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """The project's Flask CLI on its own database."""
    command = [PYTHON, "-m", "flask", "--app", PACKAGE, *args]
    if stdin is None:
        return run(command, project, env)
    result = subprocess.run(
        command, cwd=project, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.cost(1)  # a generated suite of its own: the user's module and test
def test_a_project_of_the_previous_release_upgrades_with_its_edits_and_data(
    releases: tuple[Path, str, str], tmp_path: Path, redis_url: str | None, outcomes: Path
) -> None:
    """No .rej file or conflict; the edits kept and the release arrived (every file but the
    edited README is this tree's render, byte for byte); the new migrations applied with the
    user and rows kept; `flask db check` clean; the upgraded project's own suite green."""
    repo, previous, current = releases
    project = bake(repo, f"v{previous}", tmp_path / "old")
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, f"Bake release {previous}")
    (project / "src" / PACKAGE / "reporting.py").write_text(MODULE)
    (project / "tests" / "test_reporting.py").write_text(MODULE_TEST)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + USERS_SECTION)
    commit_all(project, "Our own report and deployment notes")
    secret = (project / ".env").read_text()

    env = {**project_env(project, None, redis_url), "APP_ENV": "development"}
    env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "in-use.sqlite3")
    flask(project, env, "db", "upgrade")
    scopes = ["--scope", "resources:read", "--scope", "resources:write"]
    flask(project, env, "users", "create", "alice", *scopes, "--password-stdin", stdin=PASSWORD)
    assert json.loads(run([PYTHON, "-c", DATA, PASSWORD, *ROWS], project, env)) == ROWS

    upgraded = upgrade_script(project, repo, f"v{current}")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert f"merged template {current}" in upgraded.stdout
    assert git("status", "--porcelain", cwd=project) == ""
    assert not [*project.rglob("*.rej"), *project.rglob("*.orig")]
    fresh = bake(repo, f"v{current}", tmp_path / "new")
    for path in sorted(p for p in fresh.rglob("*") if p.is_file() and p.name != ".env"):
        name = path.relative_to(fresh)
        expected = path.read_text() + (USERS_SECTION if name == Path("README.md") else "")
        assert (project / name).read_text() == expected, f"{name} differs from the release's"
    assert (project / "src" / PACKAGE / "reporting.py").read_text() == MODULE
    assert (project / "tests" / "test_reporting.py").read_text() == MODULE_TEST
    assert (project / ".env").read_text() == secret
    again = upgrade_script(project, repo, f"v{current}")
    assert again.returncode == 0 and "nothing to merge" in again.stdout

    flask(project, env, "db", "upgrade")
    heads = flask(project, env, "db", "heads").split()[0]
    assert flask(project, env, "db", "current").split()[0] == heads, "every migration applied"
    flask(project, env, "db", "check")
    assert json.loads(run([PYTHON, "-c", DATA, PASSWORD], project, env)) == ROWS, "data kept"

    key = "suite-" + fingerprint(project, pyproject_tables=SUITE_TABLES)
    suite_env = {**env, "DATABASE_URL": "sqlite:///" + str(tmp_path / "migrate.sqlite3")}
    run_once(outcomes, key, lambda: run_suite(project, suite_env))
