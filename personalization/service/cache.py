"""Bounded caches for active users: least-recently-used with a time limit.

``VectorCache`` keeps float32 vectors in one preallocated slab (capacity x dim), so a cached user
costs its 4 * dim bytes plus one small index entry, not a numpy object each.
Entries are dropped by ``discard`` when any process writes for that user (LISTEN/NOTIFY, see
``storage.notify``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

__all__ = ["TTLCache", "VectorCache"]


class TTLCache:
    """A thread-safe LRU mapping whose entries also expire after ``ttl`` seconds."""

    def __init__(self, capacity: int = 10_000, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] < self.clock():
                if item is not None:
                    del self._data[key]
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = (value, self.clock() + self.ttl)
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class VectorCache:
    """LRU + TTL cache of fixed-length float32 vectors, each with a small int payload.

    Per entry: the vector's row in one float32 slab, and one plain dict entry (key -> row);
    recency, expiry and payload are numpy columns beside the slab. Eviction scans the recency
    column for the oldest row (a vectorised argmin: microseconds for 10,000 rows), which keeps
    the per-user cost at the vector's bytes plus about 120 (see ``cinesync bench``).
    """

    def __init__(self, capacity: int, dim: int, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.dim, self.ttl, self.clock = capacity, dim, ttl, clock
        self._slab = np.zeros((capacity, dim), dtype=np.float32)
        self._used = np.full(capacity, -1, dtype=np.int64)  # last access tick; -1 = free
        self._expires = np.zeros(capacity, dtype=np.float64)
        self._payload = np.zeros(capacity, dtype=np.int64)
        self._keys = np.zeros(capacity, dtype=object)  # row -> key (for eviction)
        self._rows: dict = {}  # key -> row
        self._tick = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> tuple[np.ndarray, int] | None:
        """A copy of the cached vector and its payload, or None."""
        with self._lock:
            row = self._rows.get(key)
            if row is None or self._expires[row] < self.clock():
                if row is not None:
                    self._drop(key, row)
                self.misses += 1
                return None
            self._tick += 1
            self._used[row] = self._tick
            self.hits += 1
            return self._slab[row].copy(), int(self._payload[row])

    def put(self, key: Hashable, vector: np.ndarray, payload: int = 0) -> None:
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                if len(self._rows) < self.capacity:
                    row = int(np.argmin(self._used))  # a free row (-1) sorts first
                else:
                    row = int(np.argmin(self._used))  # the least recently used
                    self._rows.pop(self._keys[row], None)
                self._rows[key] = row
                self._keys[row] = key
            self._slab[row] = vector
            self._tick += 1
            self._used[row] = self._tick
            self._expires[row] = self.clock() + self.ttl
            self._payload[row] = payload

    def _drop(self, key: Hashable, row: int) -> None:
        del self._rows[key]
        self._used[row] = -1
        self._keys[row] = None

    def discard(self, key: Hashable) -> None:
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._drop(key, row)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._used[:] = -1
            self._keys[:] = None

    def __len__(self) -> int:
        return len(self._rows)
