"""The pre-gen hook refuses bad answers; the post-gen hook trims, adds a secret."""

from __future__ import annotations

import ast
import io
import json
import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config
from dotenv import dotenv_values

from hooks import post_gen_project as post
from hooks import pre_gen_project as pre

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
HOOKS_DIR = TEMPLATE_DIR / "hooks"
PROJECT_DIR = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
COOKIECUTTER_JSON = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
CONTEXT_JINJA = "{{ cookiecutter | jsonify }}"


def make_answers(**overrides: Any) -> dict[str, Any]:
    """Return a valid set of answers with some replaced."""
    answers = {
        "project_name": "Inventory API",
        "project_slug": "inventory-api",
        "package_name": "inventory_api",
        "description": "Keeps track of stock.",
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.com",
        "version": "0.1.0",
        "python_version": "3.12",
        "license": "MIT",
        "auth": "none",
        "database": "sqlite",
        "tasks": "none",
        "docker": True,
        "ci": "github",
    }
    answers.update(overrides)
    return answers


# pre_gen_project: the rules


REJECTED = [
    pytest.param("project_name", "", "is blank", id="empty-name"),
    pytest.param("project_name", "   ", "is blank", id="blank-name"),
    pytest.param("project_name", 'The "Best" API', "double quote", id="quote-in-name"),
    pytest.param("project_name", "C:\\API", "backslash", id="backslash-in-name"),
    pytest.param("project_name", "Two\nlines", "not one line", id="two-line-name"),
    pytest.param("project_name", "Para\u2029graph", "not one line", id="unicode-line-break"),
    pytest.param("project_name", "Bell\x07", "U+0007", id="control-char-in-name"),
    pytest.param("project_name", "x" * 101, "at most 100", id="long-name"),
    pytest.param("project_name", "!!!", "no letter or digit", id="name-without-slug"),
    pytest.param("project_slug", "1-app", "kebab-case", id="slug-starts-with-digit"),
    pytest.param("project_slug", "my_app", "kebab-case", id="slug-with-underscore"),
    pytest.param("project_slug", "My-App", "kebab-case", id="slug-with-uppercase"),
    pytest.param("project_slug", "my--app", "kebab-case", id="slug-with-double-hyphen"),
    pytest.param("project_slug", "-app", "kebab-case", id="slug-starts-with-hyphen"),
    pytest.param("project_slug", "app-", "kebab-case", id="slug-ends-with-hyphen"),
    pytest.param("project_slug", "my-app\n", "kebab-case", id="slug-with-trailing-newline"),
    pytest.param("project_slug", "a" * 65, "at most 64", id="long-slug"),
    pytest.param("package_name", "flask", "shadows a library", id="package-flask"),
    pytest.param("package_name", "sqlalchemy", "shadows a library", id="package-sqlalchemy"),
    pytest.param("package_name", "dotenv", "shadows a library", id="package-dotenv"),
    pytest.param("package_name", "json", "standard-library", id="package-json"),
    pytest.param("package_name", "asyncore", "standard-library", id="package-removed-stdlib"),
    pytest.param("package_name", "tests", "directory", id="package-tests"),
    pytest.param("package_name", "migrations", "directory", id="package-migrations"),
    pytest.param("package_name", "class", "keyword", id="package-keyword"),
    pytest.param("package_name", "My_App", "identifier", id="package-uppercase"),
    pytest.param("package_name", "my-app", "identifier", id="package-hyphen"),
    pytest.param("package_name", "1app", "identifier", id="package-starts-with-digit"),
    pytest.param("description", "", "is blank", id="empty-description"),
    pytest.param("description", "x" * 201, "at most 200", id="long-description"),
    pytest.param("description", "a\\b", "backslash", id="backslash-in-description"),
    pytest.param("author_name", "", "is blank", id="empty-author"),
    pytest.param("author_name", "Ada\tLovelace", "U+0009", id="tab-in-author"),
    pytest.param("author_name", "x" * 101, "at most 100", id="long-author"),
    pytest.param("author_email", "ada.example.com", "e-mail", id="email-without-at"),
    pytest.param("author_email", "ada@example", "e-mail", id="email-without-dot"),
    pytest.param("author_email", "ada lovelace@example.com", "e-mail", id="email-with-space"),
    pytest.param("author_email", 'a"b@example.com', "double quote", id="email-with-quote"),
    pytest.param("version", "1.0.0.dev-x", "PEP 440", id="version-bad-dev"),
    pytest.param("version", "abc", "PEP 440", id="version-letters"),
    pytest.param("version", "1.0 ", "PEP 440", id="version-trailing-space"),
    pytest.param("python_version", "3.10", "one of 3.12, 3.13, 3.11", id="python-3.10"),
    pytest.param("license", "GPL-3.0", "one of MIT", id="unknown-license"),
    pytest.param("auth", "basic", "one of token, oidc, none", id="unknown-auth"),
    pytest.param("ci", "jenkins", "one of github, gitlab, none", id="unknown-ci"),
    pytest.param("docker", "maybe", "yes or no", id="docker-not-boolean"),
    pytest.param("database", "oracle", "one of sqlite", id="unknown-database"),
]


@pytest.mark.parametrize(("field", "value", "reason"), REJECTED)
def test_it_rejects_a_bad_answer_in_one_line_naming_field_and_value(
    field: str, value: str, reason: str
) -> None:
    """It rejects each bad answer with one line: field, value, why and what is allowed."""
    errors = pre.validate(make_answers(**{field: value}))

    assert len(errors) == 1
    line = errors[0]
    assert line.startswith(f"{field}: {value!r} ")
    assert reason in line
    assert "; " in line  # the part after it says what to do instead
    assert line.splitlines() == [line]


ACCEPTED = [
    pytest.param("project_name", "Café Inventory API", id="unicode-name"),
    pytest.param("project_name", "x" * 100, id="name-of-100-chars"),
    pytest.param("project_slug", "a", id="one-letter-slug"),
    pytest.param("project_slug", "api-v2", id="slug-with-digits"),
    pytest.param("project_slug", "a" * 64, id="slug-of-64-chars"),
    pytest.param("package_name", "match", id="soft-keyword-package"),
    pytest.param("package_name", "_internal_api", id="underscore-package"),
    pytest.param("description", "x" * 200, id="description-of-200-chars"),
    pytest.param("author_name", "Jean-Luc O'Neil", id="apostrophe-in-author"),
    pytest.param("author_email", "first.last+tag@mail.example.co.uk", id="tagged-email"),
    pytest.param("version", "1.0.0.dev1", id="dev-version"),
    pytest.param("version", "2!1.0rc1.post2+local.7", id="full-pep440-version"),
    pytest.param("version", "1.0-1", id="implicit-post-version"),
    *(
        pytest.param(field, value, id=f"{field}-{value}")
        for field, values in pre.CHOICES.items()
        for value in values
    ),
]


@pytest.mark.parametrize(("field", "value"), ACCEPTED)
def test_it_accepts_a_good_answer(field: str, value: str) -> None:
    """It accepts unusual but valid answers and every allowed choice."""
    assert pre.validate(make_answers(**{field: value})) == []


def test_it_accepts_the_template_defaults() -> None:
    """It accepts the answers cookiecutter derives from cookiecutter.json with --no-input."""
    context = generate_context(context_file=str(TEMPLATE_DIR / "cookiecutter.json"))
    answers = prompt_for_config(context, no_input=True)

    assert pre.validate(answers) == []


def test_it_reports_a_missing_answer() -> None:
    """It names a field the context lacks instead of crashing."""
    answers = make_answers()
    del answers["database"]

    assert pre.validate(answers) == ["database: None is not text; the template must define it"]


def test_it_reports_errors_in_question_order() -> None:
    """It lists every bad answer, in the order cookiecutter asks the questions."""
    errors = pre.validate(make_answers(version="abc", project_slug="1x", database="oracle"))

    assert [error.split(":")[0] for error in errors] == ["project_slug", "version", "database"]


def test_its_choices_match_cookiecutter_json() -> None:
    """It allows exactly the choices cookiecutter.json offers, so the two cannot drift apart."""
    choice_questions = {
        key: tuple(value) for key, value in COOKIECUTTER_JSON.items() if isinstance(value, list)
    }

    assert pre.CHOICES == choice_questions


def test_it_checks_every_question() -> None:
    """It has a check for every question cookiecutter.json asks."""
    questions = {key for key in COOKIECUTTER_JSON if not key.startswith("_")}

    assert set(pre.CHECKS) == questions


def test_main_prints_only_the_first_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It prints one line on stderr and exits 1, however many answers are bad."""
    bad = make_answers(project_slug="Bad_Slug", version="abc")
    monkeypatch.setattr(pre, "CONTEXT", json.dumps(bad))

    assert pre.main() == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "project_slug: 'Bad_Slug' is not kebab-case; use lowercase letters, digits and single"
        " hyphens, starting with a letter\n"
    )


def test_main_is_silent_on_good_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It exits 0 and prints nothing when every answer is good."""
    monkeypatch.setattr(pre, "CONTEXT", json.dumps(make_answers()))

    assert pre.main() == 0
    assert capsys.readouterr() == ("", "")


# Both hooks: how cookiecutter runs them


HOOK_FILES = [HOOKS_DIR / "pre_gen_project.py", HOOKS_DIR / "post_gen_project.py"]


@pytest.mark.parametrize("hook", HOOK_FILES, ids=lambda path: path.stem)
def test_rendering_only_fills_in_the_context(hook: Path, tmp_path: Path) -> None:
    """Its only Jinja is CONTEXT, which survives quotes, backslashes and newlines in answers."""
    answers = make_answers(project_name='Say """hi""" \\ \' \n {{ x }}', description="C:\\")
    source = hook.read_text(encoding="utf-8")
    # The environment cookiecutter documents: Jinja with its jsonify extension.
    env = jinja2.Environment(
        extensions=["cookiecutter.extensions.JsonifyExtension"], keep_trailing_newline=True
    )

    rendered = env.from_string(source).render(cookiecutter=answers)

    context_json = env.filters["jsonify"](answers)
    assert rendered.replace(context_json, CONTEXT_JINJA) == source
    rendered_path = tmp_path / hook.name
    rendered_path.write_text(rendered, encoding="utf-8")
    assert json.loads(runpy.run_path(str(rendered_path))["CONTEXT"]) == answers


@pytest.mark.parametrize("hook", HOOK_FILES, ids=lambda path: path.stem)
def test_it_imports_only_the_standard_library(hook: Path) -> None:
    """It runs on cookiecutter's interpreter, which may have nothing but the standard library."""
    tree = ast.parse(hook.read_text(encoding="utf-8"))
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert {module.split(".")[0] for module in modules} <= sys.stdlib_module_names


# Both hooks, end to end through the cookiecutter CLI, on a throwaway one-file template


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A copy of cookiecutter.json and the hooks with a one-file project directory."""
    root = tmp_path / "template"
    (root / "hooks").mkdir(parents=True)
    (root / "cookiecutter.json").write_bytes((TEMPLATE_DIR / "cookiecutter.json").read_bytes())
    for hook in HOOK_FILES:
        (root / "hooks" / hook.name).write_bytes(hook.read_bytes())
    project = root / "{{cookiecutter.project_slug}}"
    project.mkdir()
    (project / "README.md").write_text("# {{ cookiecutter.project_name }}\n", encoding="utf-8")
    return root


def bake(tmp_path: Path, template: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """Run the real cookiecutter CLI without touching the user's config, replay files or /tmp."""
    config = tmp_path / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}\nreplay_dir: {tmp_path / 'replay'}\n",
        encoding="utf-8",
    )
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config)]
    command += ["-o", str(tmp_path / "out"), str(template), *answers]
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=env
    )


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        pytest.param("project_name=1 Up", "project_slug", id="derived-slug-starts-with-digit"),
        pytest.param("project_name=Json", "package_name", id="derived-package-json"),
    ],
)
def test_cli_stops_on_a_bad_derived_answer_and_leaves_nothing_behind(
    tmp_path: Path, template: Path, answer: str, field: str
) -> None:
    """It exits 1, explains on stderr's first line, once, and leaves no output directory.

    Answers cookiecutter derives (slug, package) exist only after the prompts: pre_gen_project
    refuses them, and cookiecutter then logs its own traceback below that line.
    """
    result = bake(tmp_path, template, answer)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{field}: ")
    assert [line for line in lines if line.startswith(f"{field}: ")] == [lines[0]]
    assert list((tmp_path / "out").iterdir()) == []


COMMAND_LINE_REFUSALS = [
    pytest.param(
        "project_name=", "project_name: '' is blank; give some visible text", id="empty-name"
    ),
    pytest.param(
        "project_name=!!!",
        "project_name: '!!!' has no letter or digit to derive the project slug from;"
        " use e.g. Inventory API",
        id="name-without-slug",
    ),
    pytest.param(
        "project_slug=Bad_Slug",
        "project_slug: 'Bad_Slug' is not kebab-case; use lowercase letters, digits and single"
        " hyphens, starting with a letter",
        id="slug",
    ),
    pytest.param(
        "package_name=flask",
        "package_name: 'flask' shadows a library the generated project imports;"
        " choose another package name",
        id="package-flask",
    ),
    pytest.param(
        "version=abc",
        "version: 'abc' is not a PEP 440 version; use e.g. 0.1.0, 1.0.0rc1 or 2.0.0.dev1",
        id="version",
    ),
]


@pytest.mark.parametrize(("answer", "line"), COMMAND_LINE_REFUSALS)
def test_cli_refuses_a_bad_command_line_answer_in_one_line(
    tmp_path: Path, template: Path, answer: str, line: str
) -> None:
    """pre_gen_project's line, naming the field and what it allows, comes first on stderr;
    cookiecutter's "Stopping generation" and traceback follow. Nothing is left behind."""
    result = bake(tmp_path, template, "license=MIT", answer, "ci=none")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == line
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        pytest.param(
            "database=oracle",
            "ValueError: oracle provided for choice variable database, but the choices are"
            " ['sqlite', 'postgresql', 'mysql'].",
            id="unknown-database",
        ),
        pytest.param(
            "docker=maybe",
            "ValueError: maybe provided for variable docker could not be converted to a boolean.",
            id="docker",
        ),
    ],
)
def test_cookiecutter_itself_refuses_a_choice_it_does_not_offer(
    tmp_path: Path, template: Path, answer: str, line: str
) -> None:
    """Choices and yes/no answers are checked by cookiecutter while it reads its command line,
    before any hook: its last line names the variable and what it allows; no directory is made.
    """
    result = bake(tmp_path, template, answer)

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == line
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("extra_context", "error"),
    [
        pytest.param({"database": "oracle"}, ValueError, id="unknown-database"),
        pytest.param({"docker": "maybe"}, ValueError, id="docker"),
        pytest.param({"project_name": ""}, FailedHookException, id="empty-name"),
    ],
)
def test_python_api_refuses_a_bad_answer(
    tmp_path: Path, template: Path, extra_context: dict[str, str], error: type[Exception]
) -> None:
    """Through cookiecutter's Python API the same answers are refused, and nothing is made."""
    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(error):
        cookiecutter(str(template), no_input=True, extra_context=extra_context, output_dir=str(out))
    assert list(out.iterdir()) == []


def test_cli_bakes_a_project_with_a_secret_and_next_steps(tmp_path: Path, template: Path) -> None:
    """It generates the project, writes .env with a SECRET_KEY and prints the next steps."""
    result = bake(tmp_path, template, "project_name=Inventory API", "database=postgresql")

    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "inventory-api"
    assert (project / "README.md").read_text(encoding="utf-8") == "# Inventory API\n"
    assert dotenv_values(project / ".env")["SECRET_KEY"]
    assert "  cd inventory-api\n" in result.stdout
    assert "TEST_DATABASE_URL='postgresql+psycopg://" in result.stdout


# post_gen_project: removing the files of options not chosen


FAKE_OPTION_PATHS = {
    "database": {
        "sqlite": ("src/{package_name}/sqlite.py",),
        "postgresql": ("src/{package_name}/postgres.py", "compose/postgres"),
        "mysql": ("src/{package_name}/mysql.py", "compose/mysql"),
    },
    "auth": {
        "none": (),
        "token": ("src/{package_name}/auth", "src/{package_name}/tokens.py"),
        "oidc": ("src/{package_name}/auth", "src/{package_name}/oidc.py"),
    },
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A fake rendered project holding the files of every option value."""
    root = tmp_path / "inventory-api"
    for relative in [
        "src/inventory_api/__init__.py",
        "src/inventory_api/sqlite.py",
        "src/inventory_api/postgres.py",
        "src/inventory_api/mysql.py",
        "src/inventory_api/auth/__init__.py",
        "src/inventory_api/tokens.py",
        "src/inventory_api/oidc.py",
        "compose/postgres/compose.yaml",
        "compose/mysql/compose.yaml",
    ]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("", encoding="utf-8")
    return root


def files(root: Path) -> set[str]:
    """The files under root, as POSIX paths relative to it."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def test_it_removes_the_files_of_unchosen_values(tree: Path) -> None:
    """It keeps the chosen value's files and removes every other value's files and directories."""
    answers = make_answers(database="postgresql", auth="none")

    post.remove_unchosen(tree, answers, FAKE_OPTION_PATHS)

    assert files(tree) == {
        "src/inventory_api/__init__.py",
        "src/inventory_api/postgres.py",
        "compose/postgres/compose.yaml",
    }
    assert (tree / "compose").is_dir()


def test_it_keeps_a_path_shared_with_the_chosen_value(tree: Path) -> None:
    """It keeps a path listed under several values when one of them is chosen."""
    answers = make_answers(database="sqlite", auth="token")

    post.remove_unchosen(tree, answers, FAKE_OPTION_PATHS)

    assert files(tree) == {
        "src/inventory_api/__init__.py",
        "src/inventory_api/sqlite.py",
        "src/inventory_api/auth/__init__.py",
        "src/inventory_api/tokens.py",
    }


def test_removal_is_safe_to_run_twice(tree: Path) -> None:
    """It ignores paths already gone, so a second run (cruft re-runs hooks) changes nothing."""
    answers = make_answers(database="mysql", auth="oidc")
    first = post.remove_unchosen(tree, answers, FAKE_OPTION_PATHS)
    after_first = files(tree)

    second = post.remove_unchosen(tree, answers, FAKE_OPTION_PATHS)

    assert first
    assert second == []
    assert files(tree) == after_first


@pytest.mark.parametrize("path", ["../outside", "/etc", ""])
def test_it_refuses_a_path_outside_the_project(tree: Path, path: str) -> None:
    """It refuses an OPTION_PATHS entry that would delete outside the project."""
    (tree.parent / "outside").mkdir()
    table = {"database": {"sqlite": (), "mysql": (path,)}}

    with pytest.raises(ValueError, match="must stay inside the project"):
        post.remove_unchosen(tree, make_answers(), table)
    assert (tree.parent / "outside").is_dir()


def test_option_paths_name_real_choices() -> None:
    """Its table only names questions and values that cookiecutter.json offers."""
    for option, paths_by_value in post.OPTION_PATHS.items():
        offered = COOKIECUTTER_JSON[option]
        allowed = [True, False] if isinstance(offered, bool) else offered
        assert set(paths_by_value) <= set(allowed), option


def test_option_paths_exist_in_the_template() -> None:
    """Each path it would remove exists in the template directory, so a typo cannot hide."""
    assert PROJECT_DIR.is_dir()
    placeholders = {key: f"{{{{cookiecutter.{key}}}}}" for key in COOKIECUTTER_JSON}
    for option, paths_by_value in post.OPTION_PATHS.items():
        for value, paths in paths_by_value.items():
            for path in paths:
                template_path = PROJECT_DIR / path.format(**placeholders)
                assert template_path.exists(), f"{option}={value}: {path}"


# post_gen_project: the local secret


def test_it_writes_a_secret_key_to_env(tmp_path: Path) -> None:
    """It writes .env with a comment and a 64-character URL-safe SECRET_KEY only its owner reads."""
    assert post.write_env(tmp_path) is True

    env = tmp_path / ".env"
    comment, line = env.read_text(encoding="utf-8").splitlines()
    assert comment.startswith("# Generated") and "Never commit" in comment
    key = dotenv_values(env)["SECRET_KEY"]
    assert key is not None and len(key) == 64
    assert line == f"SECRET_KEY={key}"
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert stat.S_IMODE(env.stat().st_mode) & 0o077 == 0


def test_it_keeps_an_existing_secret_key(tmp_path: Path) -> None:
    """It leaves .env untouched on a second run, so the key does not change under the app."""
    post.write_env(tmp_path)
    before = (tmp_path / ".env").read_text(encoding="utf-8")

    assert post.write_env(tmp_path) is False
    assert (tmp_path / ".env").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    "line", ["SECRET_KEY=mine", "export SECRET_KEY = 'mine'", 'SECRET_KEY="m"']
)
def test_it_recognises_a_secret_key_written_by_hand(tmp_path: Path, line: str) -> None:
    """It keeps a SECRET_KEY the user set in any form python-dotenv reads."""
    (tmp_path / ".env").write_text(f"DEBUG=1\n{line}\n", encoding="utf-8")

    assert post.write_env(tmp_path) is False


@pytest.mark.parametrize("existing", ["DATABASE_URL=sqlite://", "SECRET_KEY=\n", "SECRET_KEY=''"])
def test_it_adds_a_key_to_an_env_without_one(tmp_path: Path, existing: str) -> None:
    """It keeps the other lines of an existing .env and adds a key when none has a value."""
    (tmp_path / ".env").write_text(existing, encoding="utf-8")

    assert post.write_env(tmp_path) is True
    content = (tmp_path / ".env").read_text(encoding="utf-8")
    assert content.startswith(existing)
    values = dotenv_values(stream=io.StringIO(content))
    assert len(values["SECRET_KEY"] or "") == 64


# post_gen_project: next steps


def test_next_steps_walk_from_cd_to_the_tests() -> None:
    """It tells the user how to enter, install, serve and test the project, in that order."""
    text = post.next_steps(make_answers())

    steps = [
        "cd inventory-api",
        "make install",
        "make serve  # migrates, then serves on http://127.0.0.1:8000",
        "make test",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "DATABASE_URL" not in text


@pytest.mark.parametrize(
    ("database", "scheme"), [("postgresql", "postgresql+psycopg://"), ("mysql", "mysql+pymysql://")]
)
def test_next_steps_ask_for_database_urls_before_running(database: str, scheme: str) -> None:
    """It asks for DATABASE_URL and TEST_DATABASE_URL before serving with a database server."""
    text = post.next_steps(make_answers(database=database))

    database_url = text.index(f"export DATABASE_URL='{scheme}")
    test_database_url = text.index(f"export TEST_DATABASE_URL='{scheme}")
    assert "/inventory_api_test" in text
    assert database_url < test_database_url < text.index("make serve")


def test_main_finishes_the_project_in_the_working_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It removes unchosen files, writes .env and prints the next steps, from CONTEXT alone."""
    answers: dict[str, Any] = make_answers(database="mysql")
    monkeypatch.setattr(post, "CONTEXT", json.dumps(answers))
    monkeypatch.setattr(post, "OPTION_PATHS", FAKE_OPTION_PATHS)
    monkeypatch.chdir(tree)

    post.main()

    assert not (tree / "src/inventory_api/postgres.py").exists()
    assert (tree / "src/inventory_api/mysql.py").exists()
    assert dotenv_values(tree / ".env")["SECRET_KEY"]
    assert "cd inventory-api" in capsys.readouterr().out
