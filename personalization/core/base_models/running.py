"""Per-user running scores for the models that are linear in a user's history (item-kNN, EASE):
updated by the few films rated since the last request instead of recomputed, within a byte
budget."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from numpy.typing import NDArray

from personalization.core.base_models.base import FloatArray, newest_first

__all__ = ["HistoryScoreCache"]


class HistoryScoreCache:
    """Per-user running item scores for models that are linear in the history,
    ``scores = sum_i w_i row_i`` with ``w_i = low_weight? * 0.5 ** (age_i / half_life)``.

    When the history grew by a few new films since the last call, the cached scores are
    decayed and those films' rows are added: O(items) instead of O(history x items), which
    is what makes a heavy user (1,000+ ratings) as cheap as a new one. Anything else (a refit,
    a re-rated film, another history) recomputes from scratch.

    The entries are bounded by bytes (``max_bytes``: the score arrays plus ``ENTRY_BYTES`` each),
    least recently used users first out; 0 keeps nothing.
    """

    max_steps = 16  # more new films than this since the last call: recompute
    ENTRY_BYTES = 200  # the key, the tuple and the ordered-dict link of one entry (measured ~180)

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes = int(max_bytes)
        self.nbytes = 0  # what the entries hold now
        # user -> (version, history length, (last film, its stars), scores), oldest use first
        self.entries: OrderedDict[int, tuple[int, int, tuple[int, float], FloatArray]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.nbytes = 0

    def limit(self, max_bytes: int) -> None:
        """A new budget; entries over it go at once (least recently used first)."""
        with self._lock:
            self.max_bytes = int(max_bytes)
            self._evict()

    def __len__(self) -> int:
        return len(self.entries)

    def _evict(self) -> None:
        while self.nbytes > self.max_bytes and self.entries:
            _, old = self.entries.popitem(last=False)
            self.nbytes -= old[3].nbytes + self.ENTRY_BYTES

    def _store(self, user: int, entry: tuple[int, int, tuple[int, float], FloatArray]) -> None:
        size = entry[3].nbytes + self.ENTRY_BYTES
        with self._lock:
            old = self.entries.pop(user, None)
            if old is not None:
                self.nbytes -= old[3].nbytes + self.ENTRY_BYTES
            if size <= self.max_bytes:
                self.entries[user] = entry
                self.nbytes += size
                self._evict()

    def _lookup(self, user: int) -> tuple[int, int, tuple[int, float], FloatArray] | None:
        with self._lock:
            entry = self.entries.get(user)
            if entry is not None:
                self.entries.move_to_end(user)
            return entry

    def get(
        self,
        user: int | None,
        history: Mapping[int, float],
        version: int,
        full: Callable[[], FloatArray],
        row: Callable[[int], NDArray[Any] | None],
        decay: float,
        weight_of: Callable[[float], float],
    ) -> FloatArray:
        """``full()`` computes from scratch; ``row(film)`` is one film's row (or None if the model
        does not cover it); ``weight_of(stars)`` its static weight; ``decay`` the per-step factor."""
        n = len(history)
        if user is None or n == 0:
            return full()
        it = newest_first(history)
        last = next(it)
        key_last = (last, history[last])
        entry = self._lookup(user)
        if entry is not None and entry[0] == version:
            _, n_old, old_last, scores = entry
            grown = n - n_old
            if grown == 0 and old_last == key_last:
                return scores
            if 0 < grown <= self.max_steps:
                new = [last]
                for _ in range(grown - 1):
                    new.append(next(it))
                prev = next(it, None)
                if prev is not None and old_last == (prev, history[prev]):
                    scores = scores.copy()
                    for film in reversed(new):  # oldest first: decay, then add
                        if decay != 1.0:
                            scores *= decay
                        r = row(film)
                        if r is not None:
                            scores += weight_of(history[film]) * r
                    self._store(user, (version, n, key_last, scores))
                    return scores
        scores = full()
        self._store(user, (version, n, key_last, scores))
        return scores
