"""Rate limits on the routes that take a password or send mail: logins, resets and sign-ups.

The limits library (Flask-Limiter's own core) counts attempts in fixed windows, in
RATELIMIT_STORAGE_URI: Redis when set, so every worker and replica shares the counts, else this
process's memory. Only a decorated route pays for its limit. Flask-Limiter, used before, checked
every request of the app in a hook of its own, 46 µs each even where no limit applied.

If the storage fails, a worker counts in its own memory for FALLBACK_SECONDS, then tries the
storage again: a Redis outage slows guessing down less but refuses no login.
"""

import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

logger = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])
EXTENSION = "throttle"
FALLBACK_SECONDS = 30


class Counters:
    """An app's attempts, counted per limit, scope and key (a client address, a username)."""

    def __init__(self, storage_uri: str, prefix: str) -> None:
        self.storage = storage_from_string(storage_uri)
        self.shared = FixedWindowRateLimiter(self.storage)
        self.memory = MemoryStorage()
        self.local = FixedWindowRateLimiter(self.memory)
        self.prefix = prefix
        self.failed_at: float = -FALLBACK_SECONDS

    def _strategy(self) -> FixedWindowRateLimiter:
        fresh = time.monotonic() - self.failed_at >= FALLBACK_SECONDS
        return self.shared if fresh else self.local

    def hit(self, item: RateLimitItem, scope: str, key: str) -> bool:
        """Count one attempt; False once the window holds more than the limit allows."""
        strategy = self._strategy()
        try:
            return strategy.hit(item, self.prefix, scope, key)
        except Exception:  # the storage down, whatever its client raises
            if strategy is self.local:
                raise
            logger.warning(
                "Rate-limit storage unreachable: counting in this process for %d s",
                FALLBACK_SECONDS,
            )
            self.failed_at = time.monotonic()
            return self.local.hit(item, self.prefix, scope, key)

    def retry_after(self, item: RateLimitItem, scope: str, key: str) -> int:
        """Whole seconds until the window of a limit reached ends, at least 1."""
        try:
            stats = self._strategy().get_window_stats(item, self.prefix, scope, key)
        except Exception:  # the storage failed since the hit
            return int(item.get_expiry())
        return max(1, math.ceil(stats.reset_time - time.time()))

    def reset(self) -> None:
        """Forget every count (the tests' shared apps, between tests)."""
        self.storage.reset()
        self.memory.reset()


def init_app(app: Flask) -> None:
    """Count in RATELIMIT_STORAGE_URI (if unset, REDIS_URL, else memory)."""
    uri = app.config["RATELIMIT_STORAGE_URI"] or app.config.get("REDIS_URL") or "memory://"
    app.extensions[EXTENSION] = Counters(uri, app.config["RATELIMIT_KEY_PREFIX"])


def client_address() -> str:
    """The client's address, as the proxies in front were trusted to give it (PROXY_FIX_COUNT)."""
    return request.remote_addr or "127.0.0.1"


def limit(
    rate: Callable[[], str],
    scope: str,
    message: str,
    key: Callable[[], str] = client_address,
) -> Callable[[View], View]:
    """Count each call of a view against rate ("5 per minute", read at each call, so a setting
    changed in a test applies), per key; every view decorated with one scope spends the same
    allowance. Past it: 429 with Retry-After."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counters: Counters = current_app.extensions[EXTENSION]
            counted = key()
            for item in parse_many(rate()):
                if not counters.hit(item, scope, counted):
                    seconds = counters.retry_after(item, scope, counted)
                    raise TooManyRequests(message, retry_after=seconds)
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorator
