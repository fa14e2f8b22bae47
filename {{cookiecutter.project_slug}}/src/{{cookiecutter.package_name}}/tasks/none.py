"""tasks=none: no job queue; what must not hold up a request (sending mail) runs in a thread of
this process after the answer.

The queue is bounded and in memory: when it is full the newest work is dropped and logged, and
what it holds when the process dies or is killed is lost (a deploy's graceful stop waits for
neither). Work that must survive that wants tasks=celery.
"""

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from ..config import Settings
from ..middleware import request_id
from ..observability import traces

logger = logging.getLogger(__name__)

SETTINGS: Settings = {}
QUEUE_SIZE = 100
EXTENSION = "background"


class Background:
    """The functions that may run later, and the thread that runs them one at a time."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.functions: dict[str, Callable[..., None]] = {}
        self.queue: queue.Queue[tuple[str, tuple[Any, ...], str, object | None]] = queue.Queue(
            QUEUE_SIZE
        )
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def later(self, name: str, args: tuple[Any, ...]) -> None:
        self.start()
        try:
            self.queue.put_nowait((name, args, request_id() or "-", traces.captured()))
        except queue.Full:
            logger.error("%s dropped: %d tasks already wait", name, QUEUE_SIZE)

    def start(self) -> None:
        """A thread per process, started on first use: a thread would not survive the fork of a
        worker process made after import."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name=EXTENSION, daemon=True)
                self.thread.start()

    def run(self) -> None:
        while True:
            name, args, asked_by, trace = self.queue.get()
            # Its log lines carry the request's id and trace id, as the request's own do.
            with self.app.app_context(), traces.carried(trace):
                try:
                    self.functions[name](*args)
                except Exception:  # noqa: BLE001 - the thread must go on with the next
                    logger.exception("%s failed", name, extra={"request_id": asked_by})
            self.queue.task_done()


def init_app(app: Flask) -> None:
    """Ready the background thread's queue (the thread starts on first use)."""
    app.extensions[EXTENSION] = Background(app)


def register(
    app: Flask, name: str, function: Callable[..., None], retry_on: tuple[type[Exception], ...]
) -> None:
    """Let later(name, ...) run function (a failure is logged: there is no retry here)."""
    app.extensions[EXTENSION].functions[name] = function


def later(name: str, *args: Any) -> None:
    """Run the function registered as name with args after this request, in this process."""
    background: Background = current_app.extensions[EXTENSION]
    background.later(name, args)
