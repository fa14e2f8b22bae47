"""Fixtures: an app on the test database, its client and CLI runner, sample data."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dotenv import find_dotenv, load_dotenv
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from ci import unavailable
from client_cli import ClientCLI
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import DATABASE, DEFAULT_DATABASE_URLS
from {{ cookiecutter.package_name }}.extensions import db
from serving import serving

# The auth backend's fixtures: auth (tokens for any caller), auth_settings (app config),
# reset_auth (what a shared app forgets after each test), served_auth (how a served app is set up
# and how the client logs in to it).
pytest_plugins = ["auth_{{ cookiecutter.auth }}"]


def pytest_configure(config: pytest.Config) -> None:
    """Stop at once when a server-database project has no test database to use."""
    load_dotenv(find_dotenv(usecwd=True))
    if not os.environ.get("TEST_DATABASE_URL") and DATABASE != "sqlite":
        raise pytest.UsageError(
            "TEST_DATABASE_URL is not set: point it at an empty database the tests may wipe, "
            "e.g. TEST_DATABASE_URL=" + DEFAULT_DATABASE_URLS[DATABASE].rsplit("/", 1)[0] + "/test"
        )


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL: a Redis the tests may write to. Unset, its tests skip; with CI=true,
    where the pipeline provides one, they fail."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        unavailable("TEST_REDIS_URL is not set: no Redis for the tests of shared state")
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the tests own: TEST_DATABASE_URL, else a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    return url or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _create(database_url: str, instance_path: Path, config: dict[str, Any]) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance_path),
            # With tasks=celery, jobs run inside the request; test_worker.py runs them on a real
            # worker. Without, no setting reads it.
            "TASKS_EAGER": True,
            **config,
        }
    )


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Bring the test database to the newest revision once per run."""
    app = _create(database_url, tmp_path_factory.mktemp("instance"), {})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def settings(auth_settings: dict[str, Any]) -> dict[str, Any]:
    """Config every test app gets from the auth backend (e.g. where its IdP listens)."""
    return dict(auth_settings)


@pytest.fixture(scope="session")
def shared_apps() -> dict[str, Flask]:
    """The apps tests share, one per distinct settings. Making an app costs more than most tests
    (its OpenAPI document is built from every route), and a test changes nothing in it that the
    app fixture does not reset."""
    return {}


@pytest.fixture
def app(
    migrated: str,
    shared_apps: dict[str, Flask],
    settings: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    reset_auth: Callable[[Flask], None],
) -> Iterator[Flask]:
    """An app on the migrated test database, shared by the tests with the same settings. After
    each test its tables are emptied and the auth backend forgets what it keeps in memory (rate
    limit counts, cached token claims). A test that adds a route or needs other settings makes
    its own app with make_app."""
    key = repr(sorted(settings.items()))
    if key not in shared_apps:
        shared_apps[key] = _create(migrated, tmp_path_factory.mktemp("instance"), settings)
    app = shared_apps[key]
    yield app
    _empty(app)
    reset_auth(app)


def _finished(app: Flask) -> None:
    """Wait for the work the app handed to a thread (tasks=none: mail after the answer), so none
    of it runs on, holding a connection, once the test is over."""
    if background := app.extensions.get("background"):
        background.queue.join()


def _empty(app: Flask) -> None:
    _finished(app)
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def make_app(
    migrated: str, tmp_path: Path, settings: dict[str, Any]
) -> Iterator[Callable[..., Flask]]:
    """Create extra apps with config overrides; their connections are closed afterwards."""
    made: list[Flask] = []

    def make(database_url: str = migrated, **config: Any) -> Flask:
        made.append(_create(database_url, tmp_path, {**settings, **config}))
        return made[-1]

    yield make
    for extra in made:
        _finished(extra)
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def writer_headers(auth: Any) -> dict[str, str]:
    """Headers of a caller allowed to read and write resources (none needed with auth=none)."""
    headers: dict[str, str] = auth.headers("alice", ("resources:read", "resources:write"))
    return headers


@pytest.fixture
def writer(client: FlaskClient, writer_headers: dict[str, str]) -> FlaskClient:
    """A client whose every request carries the writer's headers."""
    if authorization := writer_headers.get("Authorization"):
        client.environ_base["HTTP_AUTHORIZATION"] = authorization
    return client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def served_settings() -> dict[str, Any]:
    """Settings of a module's served app beyond its auth backend's; a test module overrides
    this fixture to give its own (e.g. CORS_ORIGINS)."""
    return {}


@pytest.fixture(scope="module")
def prepared(
    migrated: str,
    tmp_path_factory: pytest.TempPathFactory,
    served_auth: Any,
    served_settings: dict[str, Any],
) -> Iterator[Flask]:
    """An app on the migrated database, its auth backend's callers made (alice may read and
    write), one per test module; its tables emptied after."""
    settings = {**served_auth.settings(), **served_settings}
    app = _create(migrated, tmp_path_factory.mktemp("served"), settings)
    served_auth.prepare(app)
    yield app
    _empty(app)


@pytest.fixture(scope="module")
def served(prepared: Flask) -> Iterator[str]:
    """The prepared app over real HTTP on 127.0.0.1, one per test module."""
    with serving(prepared) as url:
        yield url


@pytest.fixture
def client_cli(served: str, tmp_path: Path, served_auth: Any) -> ClientCLI:
    """The client of the served app, logged in as alice (read and write) where there are logins."""
    client = ClientCLI(served, tmp_path / "config")
    served_auth.login(client)
    return client
