"""Bounded caches for active users: least-recently-used, with a time limit and a byte budget.

``VectorCache`` keeps float32 vectors in one preallocated slab (capacity x dim), so a cached user
costs its 4 * dim bytes plus one small index entry, not a numpy object each; a byte budget
becomes its capacity. ``TTLCache`` counts each value's approximate size (``approximate_size``)
against its budget. Entries are dropped by ``discard`` when any process writes for that user
(LISTEN/NOTIFY, see ``storage.notify``).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

__all__ = ["TTLCache", "VectorCache", "approximate_size"]


def approximate_size(value: Any, _depth: int = 0, _seen: set[int] | None = None) -> int:
    """Bytes of ``value`` and what it holds (containers, dataclasses, numpy arrays), each
    object counted once; deeper than 6 levels is not followed. An estimate for cache budgets.

    >>> approximate_size([1.5, "ab"]) > approximate_size([])
    True
    """
    return _size(value, _depth, set() if _seen is None else _seen)


_LEAVES = (str, bytes, int, float, bool)
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per class


def _size(value: Any, depth: int, seen: set[int]) -> int:
    """``approximate_size``'s walk (depth first, keys before values: the same objects counted,
    in the same order, as the plain recursive form), with the common leaves (float, int, str)
    answered first: a profile is thousands of them."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    kind = type(value)
    if kind is float or kind is int or kind is str or value is None:
        return size
    if isinstance(value, np.ndarray):
        return size if value.base is None else size + value.nbytes
    if depth >= 6 or isinstance(value, _LEAVES):
        return size
    depth += 1
    if isinstance(value, dict):
        for key in value:
            size += _size(key, depth, seen)
        for item in value.values():
            size += _size(item, depth, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            size += _size(item, depth, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
        if hasattr(value, "__dict__"):
            size += sys.getsizeof(value.__dict__)
        for name in names:
            size += _size(getattr(value, name), depth, seen)
    return size


class TTLCache:
    """A thread-safe LRU mapping whose entries also expire after ``ttl`` seconds. At most
    ``capacity`` entries and, with ``max_bytes``, at most that many bytes (``sizeof`` of each
    value plus ``ENTRY_BYTES``); a value larger than the budget is not kept."""

    ENTRY_BYTES = 150  # key, tuple and ordered-dict link of one entry

    def __init__(
        self,
        capacity: int = 10_000,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int | None = None,
        sizeof: Callable[[Any], int] = approximate_size,
    ):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self.max_bytes, self.sizeof = max_bytes, sizeof
        self.nbytes = 0
        self._data: OrderedDict[Hashable, tuple[Any, float, int]] = OrderedDict()  # value, expiry, bytes
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] < self.clock():
                if item is not None:
                    self._pop(key)
                self.misses += 1
                return default
            self._data.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        size = (self.sizeof(value) + self.ENTRY_BYTES) if self.max_bytes is not None else 0
        with self._lock:
            self._pop(key)
            if self.max_bytes is not None and size > self.max_bytes:
                return
            self._data[key] = (value, self.clock() + self.ttl, size)
            self.nbytes += size
            while len(self._data) > self.capacity or (self.max_bytes is not None and self.nbytes > self.max_bytes):
                self._pop(next(iter(self._data)))

    def _pop(self, key: Hashable) -> None:
        item = self._data.pop(key, None)
        if item is not None:
            self.nbytes -= item[2]

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._pop(key)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.nbytes = 0

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._data)

    def __len__(self) -> int:
        return len(self._data)


class VectorCache:
    """LRU + TTL cache of fixed-length float32 vectors, each with a small int payload.

    Per entry: the vector's row in one float32 slab, and one plain dict entry (key -> row);
    recency, expiry and payload are numpy columns beside the slab. Eviction scans the recency
    column for the oldest row (a vectorised argmin: microseconds for 10,000 rows), which keeps
    the per-user cost at the vector's bytes plus about 120 (``ENTRY_BYTES``, see ``cinesync
    bench``). With ``max_bytes``, the capacity is what fits in it (``entry_bytes`` each).
    """

    ENTRY_BYTES = 120  # the dict entry and the recency, expiry, payload and key columns

    def __init__(
        self,
        capacity: int,
        dim: int,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int | None = None,
    ):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if max_bytes is not None:
            capacity = min(capacity, int(max_bytes) // self.entry_bytes(dim))
        self.capacity, self.dim, self.ttl, self.clock = capacity, dim, ttl, clock
        self._slab = np.zeros((capacity, dim), dtype=np.float32)
        self._used = np.full(capacity, -1, dtype=np.int64)  # last access tick; -1 = free
        self._expires = np.zeros(capacity, dtype=np.float64)
        self._payload = np.zeros(capacity, dtype=np.int64)
        self._keys = np.zeros(capacity, dtype=object)  # row -> key (for eviction)
        self._rows: dict[Hashable, int] = {}  # key -> row
        self._tick = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @classmethod
    def entry_bytes(cls, dim: int) -> int:
        """What one cached user costs: the vector and the bookkeeping."""
        return 4 * dim + cls.ENTRY_BYTES

    @property
    def nbytes(self) -> int:
        """Bytes the cached users take (the slab is allocated for ``capacity`` up front, but
        its pages are touched only as rows are used)."""
        return len(self._rows) * self.entry_bytes(self.dim)

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
        if self.capacity == 0:
            return  # a budget too small for one vector keeps none
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                row = int(np.argmin(self._used))  # a free row (-1) sorts first, else the least recently used
                if self._used[row] >= 0:
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

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            rows = sorted(self._rows.items(), key=lambda kv: self._used[kv[1]])
        return [k for k, _ in rows]

    def __len__(self) -> int:
        return len(self._rows)
