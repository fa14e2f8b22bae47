"""An in-process cache of checked tokens: bounded, least recently used out first, with deadlines.

The OIDC backend keeps introspection answers in it, the token backend the callers of access
tokens it has checked.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Entries a cache keeps unless told otherwise: a few MB of claims or callers.
MAX_ENTRIES = 10_000


class ExpiringLRU(Generic[K, V]):  # noqa: UP046 (the project may target Python 3.11)
    """Map keys to values until each value's own deadline; past maxsize the LRU entry goes.

    Thread-safe: the API may serve requests from several threads of one process.
    """

    def __init__(self, maxsize: int = MAX_ENTRIES, clock: Callable[[], float] = time.time) -> None:
        self.maxsize = maxsize
        self.clock = clock  # seconds since the epoch, like a token's "exp"
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """Return the live value of key, or None (an expired entry is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            deadline, value = entry
            if deadline <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V, deadline: float) -> None:
        """Keep value until deadline (epoch seconds); a deadline already past stores nothing."""
        with self._lock:
            if deadline <= self.clock() or self.maxsize <= 0:
                self._entries.pop(key, None)
                return
            self._entries[key] = (deadline, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
