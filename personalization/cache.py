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
from typing import Any, Callable, Hashable

import numpy as np

__all__ = ["TTLCache", "VectorCache"]


class TTLCache:
    """A thread-safe LRU mapping whose entries also expire after ``ttl`` seconds."""

    def __init__(self, capacity: int = 10_000, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
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
    """LRU + TTL cache of fixed-length float32 vectors (with a small int payload each)."""

    def __init__(self, capacity: int, dim: int, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.dim, self.ttl, self.clock = capacity, dim, ttl, clock
        self._slab = np.zeros((capacity, dim), dtype=np.float32)
        self._rows: OrderedDict = OrderedDict()   # key -> (row, expires, payload)
        self._free = list(range(capacity - 1, -1, -1))
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> tuple[np.ndarray, int] | None:
        """A copy of the cached vector and its payload, or None."""
        with self._lock:
            item = self._rows.get(key)
            if item is None or item[1] < self.clock():
                if item is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._rows.move_to_end(key)
            self.hits += 1
            return self._slab[item[0]].copy(), item[2]

    def put(self, key: Hashable, vector: np.ndarray, payload: int = 0) -> None:
        with self._lock:
            if key in self._rows:
                row = self._rows.pop(key)[0]
            else:
                if not self._free:
                    self._drop(next(iter(self._rows)))
                row = self._free.pop()
            self._slab[row] = vector
            self._rows[key] = (row, self.clock() + self.ttl, payload)

    def _drop(self, key: Hashable) -> None:
        row = self._rows.pop(key)[0]
        self._free.append(row)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            if key in self._rows:
                self._drop(key)

    def clear(self) -> None:
        with self._lock:
            for key in list(self._rows):
                self._drop(key)

    def __len__(self) -> int:
        return len(self._rows)
