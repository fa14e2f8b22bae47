"""Throwaway PostgreSQL, MariaDB and Redis servers for the template's test suite.

The template generates projects that talk to PostgreSQL or MySQL, and their test suites must run
against those real databases: SQLite hides type, constraint, transaction and migration
differences. There is no Docker engine on the machines we test on, so instead of containers we
start the servers from the locally installed binaries:

- Every server is fresh: it gets a new data directory under the caller's temporary directory
  (``base_dir``), a free port on 127.0.0.1 and a private unix-socket directory, so runs never see
  each other's data and pytest-xdist workers can each start their own servers side by side.
- We never touch the system services (no systemd, no ``pg_ctlcluster``, no ``/etc`` config): the
  Debian packages only provide the binaries, and ``--no-defaults`` keeps MariaDB away from
  ``/etc/mysql``.
- We own the server process (``subprocess.Popen``) and stop it by its PID with a bounded wait
  (polite signal, then SIGKILL). Servers still running when the interpreter exits are stopped by
  an ``atexit`` hook.
- Durability is switched off (fsync, synchronous commit, binary log…): the data is thrown away.
- Logs stay in ``base_dir`` and their tail is put into every start-up error message.

PostgreSQL refuses to run as root. When we are root it runs as the ``postgres`` system user
(created by the Debian package), and because pytest's temporary directories are private to root
(``/tmp/pytest-of-root`` is mode 0700), its data and socket directories then live in a private
directory under the system temporary directory, owned by ``postgres`` and removed by ``stop()``.

Typical use::

    server = start_postgresql(tmp_path)      # or start_mariadb(tmp_path)
    url = server.new_database("app_tests")   # a SQLAlchemy URL
    ...
    server.stop()

Redis (``start_redis``) runs the same way, without persistence; its ``url()`` names database 0,
and its users keep apart by key prefix.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, Self

import psycopg
import pymysql  # type: ignore[import-untyped]
import redis

Kind = Literal["postgresql", "mysql"]

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0  # seconds for a server to accept connections
SETUP_TIMEOUT = 120.0  # seconds for initdb / mariadb-install-db
STOP_TIMEOUT = 10.0  # seconds between the polite signal and SIGKILL
PROBE_TIMEOUT = 2  # seconds for one readiness probe (connect + query)
ADMIN_TIMEOUT = 60  # seconds for connecting and for each statement of new_database()
PORT_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
LOG_TAIL_LINES = 20
SOCKET_DIR_MAX_LEN = 80  # unix socket paths are limited to ~107 bytes

POSTGRES_INSTALL_HINT = "apt-get install -y postgresql"
MARIADB_INSTALL_HINT = "apt-get install -y mariadb-server"
REDIS_INSTALL_HINT = "apt-get install -y redis-server"

_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ServerUnavailable(Exception):
    """The server binaries (or the system user they need) are not installed on this machine."""


class ServerStartError(RuntimeError):
    """The binaries exist but the server did not initialise or start; the message has the log."""


# --- finding the binaries ------------------------------------------------------------------------


def default_postgres_bindirs() -> list[Path]:
    """Directories that may hold initdb and postgres, most likely first.

    Debian/Ubuntu keep them off PATH in /usr/lib/postgresql/<version>/bin; ``pg_config --bindir``
    names the one of the newest installed version. Other systems put them on PATH.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            if result.stdout.strip():
                candidates.append(Path(result.stdout.strip()))
    versioned = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versioned, key=lambda p: _int_or(p.parent.name, -1), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    return candidates


def find_postgres_bindir(candidates: Iterable[Path] | None = None) -> Path:
    """Return the first candidate directory holding ``initdb`` and ``postgres``."""
    for bindir in default_postgres_bindirs() if candidates is None else candidates:
        if _is_executable(bindir / "initdb") and _is_executable(bindir / "postgres"):
            return bindir
    raise ServerUnavailable(
        "PostgreSQL server binaries not found (initdb, postgres); "
        f"install them: {POSTGRES_INSTALL_HINT}"
    )


class MariaDBBinaries(NamedTuple):
    server: Path  # mariadbd
    install_db: Path  # mariadb-install-db


def default_mariadb_search_path() -> str:
    """PATH plus the sbin directories, where Debian puts mariadbd (off a normal user's PATH)."""
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


def find_mariadb_binaries(search_path: str | None = None) -> MariaDBBinaries:
    """Find ``mariadbd`` and ``mariadb-install-db`` on ``search_path`` (os.pathsep-separated)."""
    path = default_mariadb_search_path() if search_path is None else search_path
    server = shutil.which("mariadbd", path=path)
    install_db = shutil.which("mariadb-install-db", path=path)
    if server is None or install_db is None:
        raise ServerUnavailable(
            "MariaDB server binaries not found (mariadbd, mariadb-install-db); "
            f"install them: {MARIADB_INSTALL_HINT}"
        )
    return MariaDBBinaries(Path(server), Path(install_db))


# --- the running servers -------------------------------------------------------------------------


@dataclass(eq=False)
class ServerProcess:
    """A server process we started on 127.0.0.1:``port``, stopped by its PID."""

    stop_signal: ClassVar[signal.Signals]

    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    startup_seconds: float
    owned_dirs: list[Path] = field(default_factory=list)  # created by us, removed by stop()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server by PID (signal, bounded wait, then SIGKILL); safe to call twice.

        Removes only the private directories it created itself (``owned_dirs``), never
        anything in ``base_dir``.
        """
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        for directory in self.owned_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self.owned_dirs.clear()
        _RUNNING.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(eq=False)
class DatabaseServer(ServerProcess, ABC):
    """A database server; ``new_database()`` hands out fresh databases as SQLAlchemy URLs."""

    kind: ClassVar[Kind]
    user: ClassVar[str]  # a superuser that logs in over TCP without a password

    @abstractmethod
    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server (which may not exist)."""

    @property
    @abstractmethod
    def admin_url(self) -> str:
        """SQLAlchemy URL of the server's maintenance database."""

    def new_database(self, name: str) -> str:
        """Create an empty database ``name`` (dropping any previous one); return its URL."""
        if not _DATABASE_NAME.fullmatch(name):
            raise ValueError(
                f"invalid database name {name!r}: use [a-z_][a-z0-9_]*, at most 63 characters "
                "(safe_database_name() makes one from any text)"
            )
        self._recreate_database(name)
        return self.url(name)

    @abstractmethod
    def _recreate_database(self, name: str) -> None: ...


@dataclass(eq=False)
class PostgreSQLServer(DatabaseServer):
    kind: ClassVar[Kind] = "postgresql"
    user: ClassVar[str] = "postgres"
    stop_signal: ClassVar[signal.Signals] = signal.SIGINT  # "fast" shutdown: ends sessions

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def _recreate_database(self, name: str) -> None:
        with _postgres_connect(self.port, ADMIN_TIMEOUT) as conn:
            # FORCE ends sessions still connected to the old database (PostgreSQL >= 13).
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass(eq=False)
class MariaDBServer(DatabaseServer):
    kind: ClassVar[Kind] = "mysql"
    user: ClassVar[str] = "root"
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM  # normal shutdown

    def url(self, database: str) -> str:
        return f"mysql+pymysql://{self.user}@{HOST}:{self.port}/{database}?charset=utf8mb4"

    @property
    def admin_url(self) -> str:
        return self.url("mysql")

    def _recreate_database(self, name: str) -> None:
        conn = _mariadb_connect(self.port, ADMIN_TIMEOUT)
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        finally:
            conn.close()


@dataclass(eq=False)
class RedisServer(ServerProcess):
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM  # shuts down (nothing to save)

    def url(self, index: int = 0) -> str:
        """redis-py / limits URL of database ``index``."""
        return f"redis://{HOST}:{self.port}/{index}"


def safe_database_name(text: str, prefix: str = "db_") -> str:
    """A valid, stable database name derived from any text (e.g. a pytest node id)."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    name = f"{prefix}{slug}"
    if len(name) > 63 or not _DATABASE_NAME.fullmatch(name):
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        name = f"{prefix}{slug[: 62 - len(prefix) - len(digest)]}_{digest}"
    return name


# --- starting them -------------------------------------------------------------------------------


def start_postgresql(base_dir: Path, *, bindir: Path | None = None) -> DatabaseServer:
    """Initialise and start a PostgreSQL server under ``base_dir`` (a fresh directory)."""
    began = time.monotonic()
    bindir = find_postgres_bindir(None if bindir is None else [bindir])
    run_as = _postgres_system_user() if os.geteuid() == 0 else None
    owned: list[Path] = []
    try:
        if run_as is None:
            run_dir = base_dir
        else:  # base_dir may not be reachable by the postgres user: see the module docstring
            run_dir = Path(tempfile.mkdtemp(prefix="dbservers-pg-"))
            owned.append(run_dir)
            os.chown(run_dir, run_as.pw_uid, run_as.pw_gid)
        socket_dir = _socket_dir(run_dir, owned, run_as)
        data_dir = run_dir / "pgdata"
        popen_user: dict[str, Any] = {"cwd": run_dir}
        if run_as is not None:
            popen_user |= {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}

        _run_setup(
            [str(bindir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres"]
            + ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            base_dir / "initdb.log",
            popen_user,
        )

        def command(port: int) -> list[str]:
            settings = {
                "listen_addresses": HOST,
                "port": str(port),
                "unix_socket_directories": str(socket_dir),
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "shared_buffers": "32MB",
                "max_connections": "100",
            }
            options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
            return [str(bindir / "postgres"), "-D", str(data_dir), *options]

        log_path = base_dir / "postgresql.log"
        process, port = _start_on_free_port(
            "PostgreSQL", command, _postgres_data_directory, data_dir, log_path, popen_user
        )
    except BaseException:
        for directory in owned:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    server = PostgreSQLServer(port, process, data_dir, log_path, time.monotonic() - began, owned)
    _RUNNING.add(server)
    return server


def start_mariadb(base_dir: Path, *, binaries: MariaDBBinaries | None = None) -> DatabaseServer:
    """Initialise and start a MariaDB server under ``base_dir`` (a fresh directory)."""
    began = time.monotonic()
    binaries = find_mariadb_binaries() if binaries is None else binaries
    owned: list[Path] = []
    try:
        socket_dir = _socket_dir(base_dir, owned, None)
        data_dir = base_dir / "mariadb-data"
        # Its temporary tables go here rather than the machine's /tmp, where a bootstrap was seen
        # to fail on deleting one of its own ("Error on delete of '/tmp/#sql-temptable-...'").
        tmp_dir = base_dir / "mariadb-tmp"
        tmp_dir.mkdir()
        # mariadbd refuses to run as root unless told to; --user is only allowed for root.
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        # Options shared by the bootstrap and the server ("--no-defaults" must come first).
        common = [
            "--no-defaults",
            f"--datadir={data_dir}",
            f"--tmpdir={tmp_dir}",
            *as_root,
            "--innodb-log-file-size=16M",
            "--skip-name-resolve",
        ]
        _run_setup(
            [str(binaries.install_db), *common]
            + ["--auth-root-authentication-method=normal", "--skip-test-db"],
            base_dir / "mariadb-install-db.log",
            {"cwd": base_dir},
        )

        def command(port: int) -> list[str]:
            return [
                str(binaries.server),
                *common,
                f"--port={port}",
                f"--bind-address={HOST}",
                f"--socket={socket_dir / 'mysqld.sock'}",
                f"--pid-file={base_dir / 'mysqld.pid'}",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-size=64M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
            ]

        log_path = base_dir / "mariadb.log"
        process, port = _start_on_free_port(
            "MariaDB", command, _mariadb_data_directory, data_dir, log_path, {"cwd": base_dir}
        )
    except BaseException:
        for directory in owned:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    server = MariaDBServer(port, process, data_dir, log_path, time.monotonic() - began, owned)
    _RUNNING.add(server)
    return server


def start_redis(base_dir: Path, *, search_path: str | None = None) -> RedisServer:
    """Start a Redis server under ``base_dir`` (a fresh directory), with no persistence."""
    began = time.monotonic()
    binary = shutil.which("redis-server", path=search_path)
    if binary is None:
        where = search_path if search_path is not None else os.environ.get("PATH", "")
        raise ServerUnavailable(f"redis-server not found on {where}; {REDIS_INSTALL_HINT}")
    data_dir = base_dir / "redis-data"
    data_dir.mkdir(parents=True, exist_ok=True)

    def command(port: int) -> list[str]:
        where = ["--port", str(port), "--bind", HOST, "--dir", str(data_dir)]
        return [binary, *where, "--save", "", "--appendonly", "no", "--logfile", ""]

    log_path = base_dir / "redis.log"
    process, port = _start_on_free_port(
        "Redis", command, _redis_data_directory, data_dir, log_path, {"cwd": base_dir}
    )
    redis = RedisServer(port, process, data_dir, log_path, time.monotonic() - began)
    _RUNNING.add(redis)
    return redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


# --- helpers -------------------------------------------------------------------------------------


class _PortTaken(Exception):
    """The server exited because its port was taken between free_port() and bind()."""


def _start_on_free_port(
    name: str,
    command: Callable[[int], list[str]],
    probe: Callable[[int], Path | None],
    data_dir: Path,
    log_path: Path,
    popen_kwargs: dict[str, Any],
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``command(port)`` and wait until ``probe(port)`` reports our ``data_dir``."""
    for _attempt in range(PORT_ATTEMPTS):
        port = free_port()
        log_offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal does not reach it; stop() does
                **popen_kwargs,
            )
        try:
            _wait_until_ready(name, process, probe, port, data_dir, log_path, log_offset)
        except _PortTaken:
            continue
        except BaseException:
            _kill(process)
            raise
        return process, port
    raise ServerStartError(f"{name} could not bind a free port in {PORT_ATTEMPTS} attempts")


def _wait_until_ready(
    name: str,
    process: subprocess.Popen[bytes],
    probe: Callable[[int], Path | None],
    port: int,
    data_dir: Path,
    log_path: Path,
    log_offset: int,
) -> None:
    """Poll until the server answers, bounded by STARTUP_TIMEOUT.

    Checking the data directory it reports proves we reached *our* server, not another one that
    grabbed the port first.
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            text = _read_from(log_path, log_offset)
            if "Address already in use" in text:
                raise _PortTaken
            raise ServerStartError(
                f"{name} exited with code {process.returncode} while starting; "
                f"end of {log_path}:\n{_tail(text)}"
            )
        reported = probe(port)
        if reported is not None and reported.resolve() == data_dir.resolve():
            return
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"{name} did not accept connections within {STARTUP_TIMEOUT:.0f} s; "
                f"end of {log_path}:\n{_tail(_read_from(log_path, log_offset))}"
            )
        time.sleep(0.05)


def _run_setup(argv: Sequence[str], log_path: Path, popen_kwargs: dict[str, Any]) -> None:
    """Run initdb / mariadb-install-db, bounded, with its output in ``log_path``."""
    with log_path.open("ab") as log:
        try:
            result = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=SETUP_TIMEOUT,
                check=False,
                **popen_kwargs,
            )
        except subprocess.TimeoutExpired:
            raise ServerStartError(
                f"{Path(argv[0]).name} did not finish within {SETUP_TIMEOUT:.0f} s; "
                f"end of {log_path}:\n{_tail(_read_from(log_path, 0))}"
            ) from None
    if result.returncode != 0:
        raise ServerStartError(
            f"{Path(argv[0]).name} failed with code {result.returncode}; "
            f"end of {log_path}:\n{_tail(_read_from(log_path, 0))}"
        )


def _postgres_connect(port: int, timeout: int) -> psycopg.Connection[Any]:
    """An autocommit superuser session; ``timeout`` (s) bounds connecting and each statement."""
    return psycopg.connect(
        host=HOST,
        port=port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
        connect_timeout=timeout,
        options=f"-c statement_timeout={timeout * 1000}",
    )


def _postgres_data_directory(port: int) -> Path | None:
    try:
        with _postgres_connect(port, PROBE_TIMEOUT) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
    except psycopg.Error:
        return None
    return Path(row[0]) if row else None


def _mariadb_connect(port: int, timeout: int) -> Any:
    """An autocommit root session; ``timeout`` (s) bounds connecting and every read and write.

    The read timeout matters while probing: something else listening on the port may accept the
    connection and never send MariaDB's greeting.
    """
    return pymysql.connect(
        host=HOST,
        port=port,
        user="root",
        autocommit=True,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
    )


def _mariadb_data_directory(port: int) -> Path | None:
    try:
        conn = _mariadb_connect(port, PROBE_TIMEOUT)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT @@datadir")
                row = cursor.fetchone()
        finally:
            conn.close()
    except pymysql.Error:
        return None
    return Path(row[0]) if row else None


def _redis_data_directory(port: int) -> Path | None:
    """The server's working directory (CONFIG GET dir)."""
    client = redis.Redis(host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1)
    try:
        found = client.config_get("dir").get("dir")
    except redis.RedisError:
        return None
    finally:
        client.close()
    return Path(found) if found else None


def _postgres_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable(
            "PostgreSQL cannot run as root and there is no 'postgres' system user; "
            f"install the server package, which creates it: {POSTGRES_INSTALL_HINT}"
        ) from None


def _socket_dir(run_dir: Path, owned: list[Path], run_as: pwd.struct_passwd | None) -> Path:
    """``run_dir`` if its path is short enough for a unix socket, else a short private dir."""
    if len(str(run_dir)) <= SOCKET_DIR_MAX_LEN:
        return run_dir
    short = Path(tempfile.mkdtemp(prefix="dbs-"))
    owned.append(short)
    if run_as is not None:
        os.chown(short, run_as.pw_uid, run_as.pw_gid)
    return short


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(STOP_TIMEOUT)


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read().decode(errors="replace")
    except OSError:
        return ""


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:]) or "(empty log)"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _int_or(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


_RUNNING: set[ServerProcess] = set()


@atexit.register
def _stop_all() -> None:
    """Stop servers a crashed or interrupted run left behind (fixtures normally do it)."""
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - best effort at exit; keep stopping the others
            pass
