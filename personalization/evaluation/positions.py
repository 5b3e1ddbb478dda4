"""The replay's bookkeeping: each user's rated films, film positions, popularity ranks, progress."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Positions", "popularity_ranks", "positions", "progress_bar"]


class Positions:
    """A user's rated catalogue positions as a growing array (no per-event conversion)."""

    __slots__ = ("buf", "n")

    def __init__(self) -> None:
        self.buf, self.n = np.empty(16, np.int64), 0

    def add(self, p: int) -> None:
        if self.n == len(self.buf):
            self.buf = np.concatenate([self.buf, np.empty_like(self.buf)])
        self.buf[self.n] = p
        self.n += 1

    def view(self) -> np.ndarray:
        return self.buf[: self.n]


def popularity_ranks(counts: np.ndarray) -> np.ndarray:
    """Each film's popularity rank by ratings so far (1 = the most rated; ties share a rank)."""
    ordered = np.sort(counts)
    return len(counts) - np.searchsorted(ordered, counts, side="right") + 1


def positions(ids: np.ndarray, films: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(ids) == 0:
        return np.zeros(len(films), np.int64), np.zeros(len(films), bool)
    pos = np.searchsorted(ids, films).clip(0, len(ids) - 1)
    return pos, ids[pos] == films


def progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="event", desc="replay", mininterval=0.5)
