"""tasks=celery: background jobs on Celery, a Redis broker and result backend, every task in an
app context.

The Celery app is built from the Flask app's settings (Flask's "Background Tasks with Celery"
pattern), so tasks use the same models, database and configuration as the API.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app
from kombu.exceptions import OperationalError

from ..config import POSITIVE, Setting, Settings
from ..extensions import db
from ..observability import traces
from . import jobs

logger = logging.getLogger(__name__)

# Read from the environment like the core settings (see .env.example).
SETTINGS: Settings = {
    "REDIS_URL": Setting("str", "redis://127.0.0.1:6379/0"),
    # The longest a request waits for Redis before it answers 503.
    "REDIS_TIMEOUT_SECONDS": Setting("int", 2, POSITIVE),
    "WORKER_CONCURRENCY": Setting("int", 2, POSITIVE),
    # The queue the API fills and the workers take from; one per app sharing a Redis.
    "TASKS_QUEUE": Setting("str", "{{ cookiecutter.package_name }}"),
    # Run jobs inside the request instead of on a worker: tests, and demos without Redis.
    "TASKS_EAGER": Setting("bool", False),
}


class QueueUnavailable(Exception):
    """The broker did not take the job in time."""


def init_app(app: Flask) -> Celery:
    """Bind a Celery app to the Flask app, as app.extensions["celery"]."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    url, timeout = app.config["REDIS_URL"], app.config["REDIS_TIMEOUT_SECONDS"]
    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(
        broker_url=url,
        result_backend=url,
        # A task is acknowledged once it has finished, so one whose worker dies (a crash, an
        # OOM kill) is handed to another. Safe here: a job run twice recomputes its result.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config["TASKS_QUEUE"],
        task_always_eager=app.config["TASKS_EAGER"],
        result_expires=24 * 3600,
        # A broker that is down or hanging costs a request at most the timeout.
        broker_connection_timeout=timeout,
        broker_transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
        redis_socket_timeout=timeout,
        redis_socket_connect_timeout=timeout,
        broker_connection_retry_on_startup=True,
        # observability.py's logging configuration stays in charge of the worker's logs.
        worker_hijack_root_logger=False,
    )
    celery.task(name=jobs.RUN_JOB)(jobs.run)
    if traces.enabled():
        # A job's span continues the trace of the request that queued it (traceparent in the
        # message); the instrumentation follows Celery's signals, process-wide.
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        instrumentor = CeleryInstrumentor()  # type: ignore[no-untyped-call]
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    app.extensions["celery"] = celery
    return celery


def enqueue(job_id: str) -> None:
    """Hand a job to the workers; QueueUnavailable if the broker cannot take it in time."""
    celery: Celery = current_app.extensions["celery"]
    try:
        celery.tasks[jobs.RUN_JOB].apply_async(
            (job_id,), task_id=job_id, retry=False, ignore_result=True
        )
    except (OperationalError, OSError) as error:
        raise QueueUnavailable(str(error)) from error


def dispose_connections(app: Flask) -> None:
    """A forked pool process must not share its parent's database connections."""
    with app.app_context():
        db.engine.dispose(close=False)


def register(
    app: Flask, name: str, function: Callable[..., None], retry_on: tuple[type[Exception], ...]
) -> None:
    """Let later(name, ...) run function on a worker, again with backoff (up to 8 times, at most
    10 minutes apart) while it raises one of retry_on."""
    celery: Celery = app.extensions["celery"]
    celery.task(
        name=name,
        autoretry_for=retry_on,
        retry_backoff=True,
        retry_backoff_max=600,
        max_retries=8,
        ignore_result=True,
    )(function)


def later(name: str, *args: Any) -> None:
    """Run the function registered as name with args on a worker. A broker that cannot take it
    is logged, not raised: the caller's answer does not depend on it."""
    celery: Celery = current_app.extensions["celery"]
    try:
        celery.tasks[name].apply_async(args, retry=False)
    except (OperationalError, OSError):
        logger.exception("%s not queued: the broker did not take it", name)
