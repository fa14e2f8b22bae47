"""An in-process cache of checked tokens: cachetools' TLRUCache behind a lock.

The OIDC backend keeps introspection answers in it, the token backend the callers of access
tokens it has checked.
"""

import math
import time
from collections.abc import Callable
from threading import Lock
from typing import Generic, TypeVar

from cachetools import TLRUCache

V = TypeVar("V")

# Entries a cache keeps unless told otherwise: a few MB of claims or callers.
MAX_ENTRIES = 10_000


class TokenCache(Generic[V]):  # noqa: UP046 (the project may target Python 3.11)
    """What a token was found to be, kept until now + ttl or the token's expiry, whichever is
    sooner (a ttl of 0 keeps nothing); past maxsize the least recently used entry goes.

    Thread-safe: the API may serve requests from several threads of one process.
    """

    def __init__(
        self, ttl: float, maxsize: int = MAX_ENTRIES, clock: Callable[[], float] = time.time
    ) -> None:
        self.clock = clock  # seconds since the epoch, like a token's "exp"; tests move it
        self._entries: TLRUCache[bytes, tuple[V, float]] = TLRUCache(
            maxsize, ttu=lambda _key, entry, now: min(now + ttl, entry[1]), timer=self._now
        )
        self._lock = Lock()

    def _now(self) -> float:
        return self.clock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> V | None:
        """The live value of key, or None."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: bytes, value: V, expires: float = math.inf) -> None:
        """Keep value for a token that expires at `expires` (epoch seconds)."""
        with self._lock:
            self._entries[key] = (value, expires)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
