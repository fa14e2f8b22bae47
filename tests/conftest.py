"""Fixtures of the matrix: baking, real database servers, a private cookiecutter config."""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cookiecutter.generate
import cookiecutter.main
import jinja2
import pytest
from cookiecutter.utils import create_env_with_context

from tests import dbservers, interpreters
from tests.matrix import COSMETIC, combination_id, combinations, export_template, options

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The image stage's store, figures and clean-up: loaded here so that xdist's controller has them.
pytest_plugins = ["tests.image_stage"]


def pytest_report_header(config: pytest.Config) -> str:
    """Say how many combinations the matrix covers, before anything runs."""
    combos = combinations()
    sweeps = sum(len(values) - 1 for key, values in options().items() if key in COSMETIC)
    product = len(combos) - sweeps
    return f"matrix: {len(combos)} combinations ({product} full product, {sweeps} cosmetic sweeps)"


# `make test` runs xdist with --dist loadscope, whose scopes are the units below: a worker that is
# nearly out of work gets the next unit in collection order. Two choices keep every worker busy to
# the end:
# - Tests that reuse one outcome (run_once) are one unit: the combinations whose generated suite is
#   the same (one per auth x database x tasks; the fresh installs are those suites too), and the
#   first image with the rebuild test that reuses its layers. One worker computes the outcome and
#   reuses it; the other never waits for it. (xdist's loadgroup does this with marks, but reads
#   them into a nodeid attribute pytest 9.2 no longer has.)
# - The dearest units go first, so a run ends on tests of a second or less. The suites alternate
#   with the image builds, which wait on the network and the disk while a suite computes.
SUITE_KEYS = ("auth", "database", "tasks")
SUITE_UNIT = re.compile(
    r"::(test_fresh_install_passes_on_its_python|test_generated_suite_passes|test_bake_is_clean"
    r"|test_bake_is_deterministic_and_replayable)\[auth=(\w+)-database=(\w+)-tasks=(\w+)-"
)
REBUILD_TEST = "::test_a_rebuild_after_a_code_change_carries_it"
# Units by rank, dearest first; the suites and images share rank 1, interleaved.
RANKS = {
    "test_fresh_install_passes_on_its_python": 0,
    "test_generated_suite_passes": 1,
    "test_image_builds_and_serves": 1,
    "test_short_benchmark_writes_its_report": 2,
    "test_served_project_keeps_its_contract": 3,
    "test_fresh_bake_passes_pre_commit": 4,
    "test_upgrade_script_merges_a_release_into_an_edited_project": 4,
}


def suite_unit(combo: dict[str, Any]) -> str:
    return "suite-" + "-".join(str(combo[key]) for key in SUITE_KEYS)


def unit_of(nodeid: str) -> str:
    """The scheduling unit of a test: its suite's, the first image's, or its own."""
    if match := SUITE_UNIT.search(nodeid):
        return suite_unit(dict(zip(SUITE_KEYS, match.groups()[1:], strict=True)))
    from tests.test_image import IMAGES

    first_image = f"::test_image_builds_and_serves[{combination_id(IMAGES[0])}]"
    if nodeid.endswith((REBUILD_TEST, first_image)):
        return "image-first"
    return nodeid


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. A run waits about 15 % of its time (on the network,
    the disks and child processes), which a third worker on two cores turns into work."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return Units(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.test_image import IMAGES, image_key

    units = dict.fromkeys(suite_unit(combo) for combo in combinations())  # in matrix order
    suites = {unit: order for order, unit in enumerate(units)}
    images = {image_key(combo): index for index, combo in enumerate(IMAGES)}

    def place(item: pytest.Item) -> tuple[int, int]:
        name = item.originalname if isinstance(item, pytest.Function) else item.name
        if name == "test_generated_suite_passes":
            return RANKS[name], 2 * suites[suite_unit(item.callspec.params["combo"])]
        if name == "test_image_builds_and_serves":
            return RANKS[name], 2 * images[image_key(item.callspec.params["combo"])] + 1
        return RANKS.get(name, len(RANKS)), 0

    items.sort(key=place)


@pytest.fixture(scope="session", autouse=True)
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep cookiecutter's replay and clone directories out of the user's home."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {home / 'cookiecutters'}\nreplay_dir: {home / 'replay'}\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        yield config


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


def _server(kind: str, base: Path) -> Iterator[dbservers.DatabaseServer]:
    start = dbservers.start_postgresql if kind == "postgresql" else dbservers.start_mariadb
    try:
        server = start(base)
    except dbservers.ServerUnavailable as missing:
        if IN_CI:
            pytest.fail(f"CI=true and {missing}", pytrace=False)
        pytest.skip(str(missing))
    with server:
        yield server


def python_for(version: str) -> Path:
    """The interpreter of a python_version answer; missing, a failure under CI=true, else a skip."""
    try:
        return interpreters.find_python(version)
    except interpreters.InterpreterUnavailable as missing:
        if IN_CI:
            pytest.fail(f"CI=true and {missing}", pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def postgresql_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dbservers.DatabaseServer]:
    yield from _server("postgresql", tmp_path_factory.mktemp("postgresql"))


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dbservers.DatabaseServer]:
    yield from _server("mysql", tmp_path_factory.mktemp("mariadb"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """A Redis server's URL for the suites that share state through one (TEST_REDIS_URL).

    Missing redis-server: a failure under CI=true; elsewhere None, and the generated tests
    that need it skip with the reason.
    """
    try:
        server = dbservers.start_redis(tmp_path_factory.mktemp("redis"))
    except dbservers.ServerUnavailable as missing:
        if IN_CI:
            pytest.fail(f"CI=true and {missing}", pytrace=False)
        yield None
        return
    with server:
        yield server.url()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Any:
    """Return a function giving a fresh database URL for a combination's database answer."""

    def fresh(database: str, name: str) -> str | None:
        if database == "sqlite":
            return None  # the generated suite makes its own throwaway SQLite file
        fixture = "postgresql_server" if database == "postgresql" else "mariadb_server"
        server: dbservers.DatabaseServer = request.getfixturevalue(fixture)
        return server.new_database(dbservers.safe_database_name(name))

    return fresh


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


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per xdist worker, shared by its lints in turn (never by two at once).

    The installed libraries' types are read once; a project's own modules are checked again
    whenever their content differs from what the cache holds.
    """
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this run shares, for run_once."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "outcomes"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def baked(outcomes: Path) -> Callable[[dict[str, Any]], Path]:
    """Bake each combination once per run, with its hooks, as a user would; tests only read it."""

    def get(combo: dict[str, Any]) -> Path:
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

    return get


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold a lock on path's name, across the workers of the run."""
    with path.with_name(path.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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
