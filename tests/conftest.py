"""Fixtures of the matrix and its hooks: real database servers, the run's shared bakes, a
private cookiecutter config. The helpers they use live in modules of their own (bakery,
projects, dbservers, ci)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import dbservers
from tests.bakery import bake_once
from tests.ci import IN_CI, unavailable
from tests.matrix import COSMETIC, combinations, options

# The scheduling of the run over xdist's workers, its worker-seconds per stage, and the image
# stage's store, figures and clean-up (loaded here so that xdist's controller has them).
pytest_plugins = ["tests.scheduling", "tests.timing", "tests.image_stage"]


def pytest_report_header(config: pytest.Config) -> str:
    """Say how many combinations the matrix covers, before anything runs."""
    combos = combinations()
    sweeps = sum(len(values) - 1 for key, values in options().items() if key in COSMETIC)
    product = len(combos) - sweeps
    return f"matrix: {len(combos)} combinations ({product} full product, {sweeps} cosmetic sweeps)"


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


def _server(kind: str, base: Path) -> Iterator[dbservers.DatabaseServer]:
    start = dbservers.start_postgresql if kind == "postgresql" else dbservers.start_mariadb
    try:
        server = start(base)
    except dbservers.ServerUnavailable as missing:
        unavailable(str(missing))
    with server:
        yield server


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
def baked(outcomes: Path, cookies_session: Any) -> Callable[[dict[str, Any]], Path]:
    """Bake each combination once per run, with its hooks, as a user would; tests only read it."""

    def get(combo: dict[str, Any]) -> Path:
        return bake_once(outcomes, cookies_session, combo)

    return get
