"""IdIndex: raw film ids <-> dense positions, vectorised (sorted array + searchsorted); and the
gather that spreads a model's item scores over a candidate array."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from personalization.core.base_models.base import FloatArray, IntArray

__all__ = ["IdIndex", "CandidateGather"]


class IdIndex:
    def __init__(self, ids: Iterable[int] | IntArray | None = None):
        self.ids: IntArray = np.unique(np.asarray(ids if ids is not None else [], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, values: IntArray) -> tuple[IntArray, np.ndarray]:
        """Positions of ``values`` (clipped) and a mask of which are known."""
        values = np.asarray(values, dtype=np.int64)
        if len(self.ids) == 0:
            return np.zeros(len(values), np.int64), np.zeros(len(values), bool)
        pos = np.searchsorted(self.ids, values)  # >= 0 always: only the top needs clipping
        np.minimum(pos, len(self.ids) - 1, out=pos)
        return pos, self.ids[pos] == values

    def find(self, value: int) -> int | None:
        """Position of one id, or None when unknown (the scalar case of ``lookup``, cheaper)."""
        pos = int(np.searchsorted(self.ids, value))
        return pos if pos < len(self.ids) and self.ids[pos] == value else None

    def positions(self, values: IntArray) -> IntArray:
        """Positions of values that must all be known."""
        pos, known = self.lookup(values)
        if not known.all():
            raise KeyError(f"unknown ids: {np.asarray(values)[~known][:5].tolist()}")
        return pos

    def add(self, value: int) -> tuple[int, bool]:
        """Position of ``value``, inserting it if new; returns (position, inserted)."""
        pos = int(np.searchsorted(self.ids, value))
        if pos < len(self.ids) and self.ids[pos] == value:
            return pos, False
        self.ids = np.insert(self.ids, pos, value)
        return pos, True


class CandidateGather:
    """Spreads scores over a model's items onto a candidate array in one gather.

    Candidates the model does not know get ``fill``, or when ``fill`` is None a score just
    below the lowest known one (they rank last rather than at an arbitrary 0). The candidate
    lookup is remembered for the last (items, candidates) pair, compared by value: the scorer
    asks with the same catalogue on every request, and comparing is far cheaper than looking up.

    >>> g = CandidateGather()
    >>> g(np.array([0.5, 2.0]), IdIndex([10, 20]), np.array([20, 30, 10])).tolist()
    [2.0, 0.499999, 0.5]
    """

    def __init__(self, fill: float | None = None):
        self.fill = fill
        self._items: IntArray = np.zeros(0, np.int64)
        self._candidates: IntArray | None = None
        self._gather: IntArray = np.zeros(0, np.int64)  # candidate -> item slot (n = the fill slot)

    def __call__(self, item_scores: FloatArray, items: IdIndex, candidates: IntArray) -> FloatArray:
        n = len(item_scores)
        if n == 0:
            return np.full(len(candidates), self.fill or 0.0, np.float64)
        if (
            self._candidates is None
            or not np.array_equal(self._candidates, candidates)
            or not np.array_equal(self._items, items.ids)
        ):
            pos, known = items.lookup(candidates)
            self._gather = np.where(known, pos, len(items.ids))
            self._items, self._candidates = items.ids.copy(), np.array(candidates, np.int64)
        padded = np.empty(n + 1, np.float64)
        padded[:n] = item_scores
        padded[n] = self.fill if self.fill is not None else float(item_scores.min()) - 1e-6
        return padded.take(self._gather)
