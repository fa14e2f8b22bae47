"""The `{{ cookiecutter.project_slug }}` command: migrate the database, then serve the API under granian.

granian (HTTP in Rust, the app on a few Python threads per worker process) was chosen by
measurement over gunicorn's sync and gthread workers: see the README's Performance section.
"""

import argparse
import atexit
import logging.config
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from flask import Flask
from flask_migrate import upgrade
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from . import draining
from .extensions import db

logger = logging.getLogger(__name__)

# Python threads running requests in each worker: more only queue on the interpreter's lock
# (granian's default, half its connection limit, would start up to 256 on 2 cores). Requests
# beyond them wait in granian, whose connection limit stays its own (its backpressure caps open
# connections, idle ones kept alive included, so it must stay large).
THREADS = 4
# How long a stopping worker may take to finish its requests before it is killed.
GRACEFUL_SECONDS = 30


def build_parser() -> argparse.ArgumentParser:
    """Describe every flag; -h prints this."""
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.project_slug }}",
        description="Serve {{ cookiecutter.project_name }} under granian. Settings come from "
        "the environment and .env (see .env.example); these flags override them.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="port to listen on; 0 picks a free one (PORT, default %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="worker processes (WEB_CONCURRENCY, default %(default)s)",
    )
    parser.add_argument(
        "--instance-path",
        type=Path,
        help="folder for instance files: config.toml and the SQLite database (INSTANCE_PATH)",
    )
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (DATABASE_URL)")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not apply pending migrations before serving",
    )
    return parser


def prepare(app: Flask) -> None:
    """Bring the database schema up to date."""
    with app.app_context():
        upgrade()
        # The workers are started from this process: they must not share its connections.
        db.engine.dispose()


def create_worker_app() -> Flask:
    """Each worker's app (granian's factory), made in the worker once it has started: its own
    database connections, and its own trace exporter, whose thread would not survive a fork."""
    from .app import create_app
    from .observability import traces

    app = create_app()
    if traces.enabled():
        traces.start(app)
    return app


def share_metrics(argv: Sequence[str] | None) -> None:
    """Give the workers one folder for their metrics; set, it is emptied of an earlier run's,
    else a temporary one is made and removed when the command exits.

    prometheus-client chooses per-process files when it is first imported. The command imports
    the app (and so prometheus-client) only after this; a caller that imported it earlier gets
    the command started again, with the folder named.
    """
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_folder("metrics-")
    if "prometheus_client" in sys.modules:
        again = sys.argv[1:] if argv is None else list(argv)
        module = "{{ cookiecutter.package_name }}.cli"
        os.execv(sys.executable, [sys.executable, "-m", module, *again])


def own_folder(prefix: str) -> str:
    """A temporary folder of the command's, removed when it exits (not when a worker does)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(remove_folder, folder, os.getpid())
    return folder


def remove_folder(folder: str, owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def free_port(host: str, asked: int) -> tuple[int, socket.socket | None]:
    """The port to serve on: the one asked for, or for 0 one the kernel chooses, with the socket
    that holds it. On Linux each granian worker binds the port itself (SO_REUSEPORT); a socket
    bound there too, never listening, keeps it ours until they have. Elsewhere the port is only
    known to be free when chosen."""
    if asked:
        return asked, None
    held = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    if sys.platform == "linux":
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    held.bind((host, 0))
    port = int(held.getsockname()[1])
    if sys.platform != "linux":
        held.close()
        return port, None
    return port, held


def announce(host: str, port: int) -> None:
    """Print the address served."""
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving on http://{shown}:{port} (docs: /docs)", flush=True)


def drain_on_stop(seconds: int) -> None:
    """Make SIGTERM drain first (granian's own handler, installed by now, runs once the seconds
    have passed): /readyz answers 503 in every worker, which serve on meanwhile. A second
    SIGTERM stops at once."""
    stop = signal.getsignal(signal.SIGTERM)
    if not seconds or not callable(stop):
        return
    draining.name_flag(own_folder("drain-"))

    def drain(signum: int, frame: FrameType | None) -> None:
        signal.signal(signum, stop)
        draining.begin()
        logger.info("Draining for %d s (DRAIN_SECONDS), then stopping", seconds)
        timer = threading.Timer(seconds, stop, (signum, frame))
        timer.daemon = True  # a second signal's stop does not wait for it
        timer.start()

    signal.signal(signal.SIGTERM, drain)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the flags, prepare the database and serve until stopped."""
    args = build_parser().parse_args(argv)
    share_metrics(argv)
    from .app import create_app  # imported after share_metrics, which it must follow
    from .observability import logging_config, traces

    # The flags override the environment: of this process and of the workers it starts.
    if args.db:
        os.environ["DATABASE_URL"] = args.db
    if args.instance_path:
        os.environ["INSTANCE_PATH"] = str(args.instance_path.resolve())
    try:
        app = create_app()
    except RuntimeError as error:
        sys.exit(f"{{ cookiecutter.project_slug }}: {error}")
    level = app.config["LOG_LEVEL"]
    log_config = logging_config(app.config["LOG_FORMAT"], level, traces.enabled())
    logging.config.dictConfig(log_config)
    if not args.no_migrate:
        prepare(app)
    port, _held = free_port(args.host, args.port)  # held until the command exits
    server = Granian(
        "{{ cookiecutter.package_name }}.cli:create_worker_app",
        factory=True,
        interface=Interfaces.WSGI,
        address=args.host,
        port=port,
        workers=args.workers,
        blocking_threads=THREADS,
        # A worker that dies is replaced; one that will not stop in time is killed.
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_SECONDS,
        # Its own lines in LOG_FORMAT; no access lines: the app writes one, with the request id.
        log_dictconfig=log_config,
        log_level=LogLevels(level.lower()),
        websockets=False,  # WSGI has none
    )
    server.on_startup(lambda: announce(args.host, port))
    server.on_startup(lambda: drain_on_stop(app.config["DRAIN_SECONDS"]))
    server.serve()


if __name__ == "__main__":
    main()
