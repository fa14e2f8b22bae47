"""The `{{ cookiecutter.project_slug }}-worker` command: the Celery worker of this app.

`{{ cookiecutter.project_slug }}-worker` runs `celery worker` with WORKER_CONCURRENCY processes;
other celery commands pass through, e.g. `{{ cookiecutter.project_slug }}-worker inspect ping`.
On SIGTERM the worker stops taking jobs and finishes the ones it runs (a warm shutdown); a job
whose worker is killed outright is redelivered (task_acks_late).
"""

import sys
from collections.abc import Sequence
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from ..app import create_app
from ..observability import traces
from .celery import dispose_connections


def main(argv: Sequence[str] | None = None) -> None:
    """Create the app from the environment, then run the celery command given (worker)."""
    args = list(sys.argv[1:] if argv is None else argv) or ["worker"]
    app = create_app()
    celery: Celery = app.extensions["celery"]
    if args[0] == "worker":
        # Defaults first: options given on the command line come later and win.
        concurrency, level = app.config["WORKER_CONCURRENCY"], app.config["LOG_LEVEL"]
        args[1:1] = [f"--concurrency={concurrency}", f"--loglevel={level}"]
        # mingle and gossip share revoked-task lists between workers: a second at start-up
        # and steady chatter on Redis, for a feature the jobs do not use.
        args[1:1] = ["--without-mingle", "--without-gossip"]

    def fresh_connections(**_: Any) -> None:
        dispose_connections(app)

    worker_process_init.connect(fresh_connections, weak=False)
    if traces.enabled():
        # Each pool process makes its own exporter once forked, and sends what it still holds
        # before it ends (pool processes end without running exit handlers).
        worker_process_init.connect(lambda **_: traces.start(app), weak=False)
        worker_process_shutdown.connect(lambda **_: traces.flush(), weak=False)
    celery.start(argv=args)


if __name__ == "__main__":
    main()
