"""The throwaway database servers really start, hand out isolated databases and stop.

No mocks: these start real PostgreSQL, MariaDB and Redis servers. Without the binaries the tests
skip with the install command, except under CI=true, where they fail (CI installs the servers).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from tests.ci import unavailable
from tests.dbservers import (
    MARIADB_INSTALL_HINT,
    POSTGRES_INSTALL_HINT,
    REDIS_INSTALL_HINT,
    DatabaseServer,
    ServerUnavailable,
    find_mariadb_binaries,
    find_postgres_bindir,
    port_is_open,
    safe_database_name,
    start_mariadb,
    start_postgresql,
    start_redis,
)

STARTERS: dict[str, Callable[[Path], DatabaseServer]] = {
    "postgresql": start_postgresql,
    "mysql": start_mariadb,
}


def start_or_skip(kind: str, base_dir: Path) -> DatabaseServer:
    try:
        return STARTERS[kind](base_dir)
    except ServerUnavailable as missing:
        unavailable(str(missing))


@pytest.fixture(scope="module", params=sorted(STARTERS))
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseServer]:
    """One running server per kind, shared by this module's tests."""
    started = start_or_skip(request.param, tmp_path_factory.mktemp(request.param))
    yield started
    started.stop()


def session_ids(pid: int) -> list[int]:
    """PIDs of the processes in the session led by ``pid`` (the server's own children)."""
    listed = subprocess.run(
        ["ps", "-o", "pid=", "-s", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in listed.stdout.split()]


def test_urls_have_the_documented_form(server: DatabaseServer) -> None:
    url = server.new_database("url_form")

    expected = {
        "postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/url_form",
        "mysql": f"mysql+pymysql://root@127.0.0.1:{server.port}/url_form?charset=utf8mb4",
    }[server.kind]
    assert url == expected
    assert server.running


def test_two_databases_are_usable_and_isolated(server: DatabaseServer) -> None:
    first = sa.create_engine(server.new_database("isolation_a"))
    second = sa.create_engine(server.new_database("isolation_b"))
    try:
        with first.begin() as conn:
            conn.execute(sa.text("CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(50))"))
            conn.execute(sa.text("INSERT INTO item VALUES (1, 'caf\u00e9 \u2615')"))
        with first.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM item")).scalar_one() == "caf\u00e9 \u2615"

        assert sa.inspect(second).get_table_names() == []
        with second.begin() as conn:  # the same table name is free in the other database
            conn.execute(sa.text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
            assert conn.execute(sa.text("SELECT COUNT(*) FROM item")).scalar_one() == 0
    finally:
        first.dispose()
        second.dispose()


def test_new_database_replaces_an_existing_one(server: DatabaseServer) -> None:
    engine = sa.create_engine(server.new_database("recreated"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE leftover (id INTEGER)"))
        # A pooled connection to the old database is still open; it must not block the drop.
        server.new_database("recreated")
    finally:
        engine.dispose()

    fresh = sa.create_engine(server.url("recreated"))
    try:
        assert sa.inspect(fresh).get_table_names() == []
    finally:
        fresh.dispose()


@pytest.mark.parametrize("name", ["", "Upper", "has-dash", "1starts_with_digit", "x" * 64, "a;b"])
def test_new_database_rejects_unsafe_names(server: DatabaseServer, name: str) -> None:
    with pytest.raises(ValueError, match="invalid database name"):
        server.new_database(name)


@pytest.mark.parametrize("kind", sorted(STARTERS))
def test_stop_ends_the_process_and_frees_the_port(kind: str, tmp_path: Path) -> None:
    server = start_or_skip(kind, tmp_path)
    engine = sa.create_engine(server.new_database("before_stop"))
    with engine.connect() as conn:  # leave a pooled session open: stop() must not hang on it
        conn.execute(sa.text("SELECT 1"))
    pid, port = server.pid, server.port
    assert port_is_open(port)
    assert pid in session_ids(pid)  # the listing sees the server's session while it runs

    server.stop()
    server.stop()  # idempotent
    engine.dispose()

    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert session_ids(pid) == []  # no worker process of the server survives it
    assert not port_is_open(port)
    assert server.owned_dirs == []
    assert list(tmp_path.iterdir())  # stop() keeps the caller's files (logs, data)


def test_missing_postgres_binaries_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServerUnavailable) as raised:
        find_postgres_bindir([tmp_path / "no-such-dir", tmp_path])
    message = str(raised.value)
    assert POSTGRES_INSTALL_HINT in message
    assert "\n" not in message

    with pytest.raises(ServerUnavailable, match=POSTGRES_INSTALL_HINT):
        start_postgresql(tmp_path, bindir=tmp_path / "no-such-dir")


def test_missing_mariadb_binaries_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServerUnavailable) as raised:
        find_mariadb_binaries(search_path=str(tmp_path))
    message = str(raised.value)
    assert MARIADB_INSTALL_HINT in message
    assert "\n" not in message


def test_safe_database_name_is_valid_stable_and_distinct() -> None:
    node = "tests/test_bake.py::test_matrix[postgresql-oidc-True]"
    long_a = "test_" + "a" * 100 + "[1]"
    long_b = "test_" + "a" * 100 + "[2]"

    assert safe_database_name(node) == "db_tests_test_bake_py_test_matrix_postgresql_oidc_true"
    assert safe_database_name(node) == safe_database_name(node)
    assert safe_database_name(long_a) != safe_database_name(long_b)
    for name in (safe_database_name(long_a), safe_database_name("---")):
        assert len(name) <= 63
        assert name.startswith("db_")


def test_redis_serves_and_stops(tmp_path: Path) -> None:
    """A fresh Redis on a free port of 127.0.0.1 stores and reads a key, and stops by its PID."""
    try:
        server = start_redis(tmp_path)
    except ServerUnavailable as missing:
        unavailable(str(missing))
    assert server.url() == f"redis://127.0.0.1:{server.port}/0"
    client = redis.Redis.from_url(server.url(), socket_timeout=5)
    client.set("key", "value")
    assert client.get("key") == b"value"
    client.close()
    pid, port = server.pid, server.port

    server.stop()
    server.stop()  # idempotent

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not port_is_open(port)


def test_missing_redis_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServerUnavailable) as raised:
        start_redis(tmp_path, search_path=str(tmp_path))
    message = str(raised.value)
    assert REDIS_INSTALL_HINT in message and str(tmp_path) in message
    assert "\n" not in message
