"""Sequence: what people rate *next* after the films this user rated last (item-to-item
transitions, a decayed first-order Markov chain, fully online).

Every rating links the user's ``window`` previous films to the new one (the nearest counts most,
``decay ** distance``). A user is scored from their ``last`` most recent films: films that other
people went on to rate right after them come first. It sees what the order-blind models miss:
people rate in sessions (a series, a director's run, the page the site showed them).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping

import numpy as np

from personalization.core.base_models.base import BaseModel, FloatArray, IntArray, ModelSpec, Ratings, newest_first

__all__ = ["Sequence", "SPEC"]


class Sequence(BaseModel):
    """
    >>> import numpy as np
    >>> from personalization.core.base_models import Ratings
    >>> r = Ratings(np.array([1, 1, 2, 2]), np.array([10, 20, 10, 20]), np.full(4, 4.0))
    >>> m = Sequence().fit(r)
    >>> [round(float(s), 2) for s in m.score({10: 4.0}, np.array([10, 20, 30]))]
    [0.0, 2.0, 0.0]
    """

    name = "sequence"

    def __init__(self, window: int = 3, last: int = 3, decay: float = 0.5, max_users: int = 1_000_000):
        if window < 1 or last < 1 or not 0.0 <= decay <= 1.0:
            raise ValueError("window and last must be >= 1 and decay in [0, 1]")
        self.window, self.last, self.decay = int(window), int(last), float(decay)
        self.max_users = max_users
        self.next: defaultdict[int, defaultdict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.recent: dict[int, deque[int]] = {}
        self._rows: dict[int, tuple[IntArray, FloatArray]] = {}
        # the candidates' sort order, for the last candidate array (compared by value)
        self._candidates: IntArray | None = None
        self._order: IntArray = np.zeros(0, np.int64)
        self._sorted: IntArray = np.zeros(0, np.int64)

    def fit(self, ratings: Ratings) -> Sequence:
        self.next.clear()
        self.recent.clear()
        self._rows.clear()
        for u, f, s in zip(ratings.users.tolist(), ratings.films.tolist(), ratings.stars.tolist()):
            self.learn_one(u, f, s)
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        recent = self.recent.get(user)
        if recent is None:
            if len(self.recent) >= self.max_users:
                self.recent.pop(next(iter(self.recent)))
            recent = self.recent[user] = deque(maxlen=self.window)
        weight = 1.0
        for prev in reversed(recent):
            if prev != film:
                self.next[prev][film] += weight
                self._rows.pop(prev, None)
            weight *= self.decay
        recent.append(film)

    def _row(self, film: int) -> tuple[IntArray, FloatArray] | None:
        row = self._rows.get(film)
        if row is None:
            nxt = self.next.get(film)
            if not nxt:
                return None
            row = (np.fromiter(nxt.keys(), np.int64, len(nxt)), np.fromiter(nxt.values(), np.float64, len(nxt)))
            self._rows[film] = row
        return row

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        out = np.zeros(len(candidates), np.float64)
        if not history or len(candidates) == 0:
            return out
        if self._candidates is None or not np.array_equal(self._candidates, candidates):
            self._order = np.argsort(candidates, kind="stable")
            self._sorted = candidates[self._order]
            self._candidates = np.array(candidates, np.int64)
        order, sorted_ids = self._order, self._sorted
        weight = 1.0
        for n, film in enumerate(newest_first(history)):
            if n >= self.last:
                break
            row = self._row(film)
            if row is not None:
                films, counts = row
                pos = np.minimum(np.searchsorted(sorted_ids, films), len(sorted_ids) - 1)
                known = sorted_ids[pos] == films
                # a row's films are distinct, so a plain fancy-index add equals np.add.at (faster)
                out[order[pos[known]]] += weight * counts[known]
            weight *= self.decay
        return out


SPEC = ModelSpec(
    "sequence", Sequence, weight=0.3434, summary="what people rate next after the films this user rated last"
)
