"""IdIndex: raw film ids <-> dense positions, vectorised (sorted array + searchsorted)."""

from __future__ import annotations

import numpy as np

__all__ = ["IdIndex"]


class IdIndex:
    def __init__(self, ids: np.ndarray | None = None):
        self.ids = np.unique(np.asarray(ids if ids is not None else [], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, values) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``values`` (clipped) and a mask of which are known."""
        values = np.asarray(values, dtype=np.int64)
        if len(self.ids) == 0:
            return np.zeros(len(values), np.int64), np.zeros(len(values), bool)
        pos = np.searchsorted(self.ids, values)   # >= 0 always: only the top needs clipping
        np.minimum(pos, len(self.ids) - 1, out=pos)
        return pos, self.ids[pos] == values

    def find(self, value: int) -> int | None:
        """Position of one id, or None when unknown (the scalar case of ``lookup``, cheaper)."""
        pos = int(np.searchsorted(self.ids, value))
        return pos if pos < len(self.ids) and self.ids[pos] == value else None

    def positions(self, values) -> np.ndarray:
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
