"""The `{{ cookiecutter.project_slug }}` command: migrate the database, then serve the API under gunicorn."""

import argparse
import atexit
import logging.config
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from .extensions import db


def build_parser() -> argparse.ArgumentParser:
    """Describe every flag; -h prints this."""
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.project_slug }}",
        description="Serve {{ cookiecutter.project_name }} under gunicorn. Settings come from "
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
        help="gunicorn worker processes (WEB_CONCURRENCY, default %(default)s)",
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


class Server(BaseApplication):
    """gunicorn running an app that is already created."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:  # a Flask app is a WSGI callable; gunicorn's stub type is narrower
        return self.application


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines in LOG_FORMAT (logconfig_dict), and no access lines: the app writes
    one per request itself, with the request id. gunicorn would otherwise gather the fields of
    an access line for every request, to drop it."""

    def access(self, *args: Any) -> None:
        """Write nothing."""


def prepare(app: Flask) -> None:
    """Bring the database schema up to date."""
    with app.app_context():
        upgrade()
        # Workers are forked from this process: they must not share its connections.
        db.engine.dispose()


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
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")
    if "prometheus_client" in sys.modules:
        again = sys.argv[1:] if argv is None else list(argv)
        module = "{{ cookiecutter.package_name }}.cli"
        os.execv(sys.executable, [sys.executable, "-m", module, *again])
    atexit.register(remove_metrics, folder, os.getpid())


def remove_metrics(folder: str, owner: int) -> None:
    """Remove the metrics folder when the command exits: not when a forked worker does."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def announce(server: Arbiter) -> None:
    """Print the address gunicorn bound (with --port 0, the one the kernel chose)."""
    for listener in server.LISTENERS:
        print(f"Serving on {listener} (docs: /docs)", flush=True)


def worker_exited(server: Arbiter, worker: Worker) -> None:
    """Keep a dead worker's counts, and drop its live-only gauges (gunicorn's child_exit)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the flags, prepare the database and serve until stopped."""
    args = build_parser().parse_args(argv)
    share_metrics(argv)
    from .app import create_app  # imported after share_metrics, which it must follow
    from .observability import logging_config, traces

    overrides: dict[str, Any] = {}
    if args.db:
        overrides["DATABASE_URL"] = args.db
    if args.instance_path:
        overrides["INSTANCE_PATH"] = str(args.instance_path.resolve())
    try:
        app = create_app(overrides)
    except RuntimeError as error:
        sys.exit(f"{{ cookiecutter.project_slug }}: {error}")
    traced = traces.enabled()
    log_config = logging_config(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"], traced)
    logging.config.dictConfig(log_config)
    if not args.no_migrate:
        prepare(app)
    options = {
        # Port 0: gunicorn binds the kernel's choice once, before forking, and announce() names it.
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        # Newer gunicorn opens a control socket under ~/.gunicorn; the API needs none.
        "control_socket_disable": True,
        "logconfig_dict": log_config,
        "logger_class": GunicornLogger,
        "when_ready": announce,
        "child_exit": worker_exited,
    }
    if traced:
        # Each worker makes its own exporter once forked (the SDK's thread would not survive a
        # fork), and once it handles signals itself: a SIGTERM arriving in post_fork is lost.
        options["post_worker_init"] = lambda _worker: traces.start(app)
    Server(app, options).run()


if __name__ == "__main__":
    main()
