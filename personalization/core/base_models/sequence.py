"""Sequence: what people rate *next* after the films this user rated last (item-to-item
transitions, a decayed first-order Markov chain).

Every rating links the user's ``window`` previous films to the new one (the nearest counts most,
``decay ** distance``). A user is scored from their ``last`` most recent films: films that other
people went on to rate right after them come first. It sees what the order-blind models miss:
people rate in sessions (a series, a director's run, the page the site showed them).

``fit`` counts every transition at once (vectorised) into compact CSR rows, keeping each film's
``max_next`` most frequent successors (0: all): that is the published state. ``learn_one`` adds
transitions online on top (in a serving process: those of the ratings it takes between two
published versions; the link from a user's ratings before the version to a new one waits for the
next version, since the per-user recent films are not published).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import (
    Arrays,
    BaseModel,
    FloatArray,
    IntArray,
    ModelSpec,
    Param,
    Ratings,
    newest_first,
)
from personalization.core.base_models.lookup import IdIndex

__all__ = ["Sequence", "SPEC", "count_transitions"]

Row = tuple[NDArray[np.integer[Any]], FloatArray]  # successor films, their decayed counts


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
    RECENT_BYTES = 300  # one user's recent films: key, tuple, ints and the ordered-dict link

    def __init__(
        self, window: int = 3, last: int = 3, decay: float = 0.5, max_users: int = 1_000_000, max_next: int = 0
    ):
        if window < 1 or last < 1 or not 0.0 <= decay <= 1.0 or max_next < 0:
            raise ValueError("window and last must be >= 1, decay in [0, 1] and max_next >= 0")
        self.window, self.last, self.decay = int(window), int(last), float(decay)
        self.max_users, self.max_next = int(max_users), int(max_next)
        # counted by fit or loaded: successors of sources.ids[i] are targets[indptr[i]:indptr[i + 1]]
        self.sources = IdIndex()
        self.indptr: IntArray = np.zeros(1, np.int64)
        self.targets: NDArray[np.int32] = np.zeros(0, np.int32)
        self.counts: FloatArray = np.zeros(0, np.float64)
        # learned online on top of those
        self.next: defaultdict[int, defaultdict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.recent: OrderedDict[int, tuple[int, ...]] = OrderedDict()  # user -> last films, LRU
        self._rows: dict[int, Row] = {}  # merged rows of films with online transitions
        # the candidates' sort order, for the last candidate array (compared by value)
        self._candidates: IntArray | None = None
        self._order: IntArray = np.zeros(0, np.int64)
        self._sorted: IntArray = np.zeros(0, np.int64)

    def fit(self, ratings: Ratings) -> Sequence:
        sources, indptr, targets, counts = count_transitions(ratings, self.window, self.decay, self.max_next)
        self._install(sources, indptr, targets, counts)
        # each user's last films (least recently active first), so learn_one carries on where
        # the ratings stopped
        order = np.argsort(ratings.users, kind="stable")
        users, films = ratings.users[order], ratings.films[order]
        ends = np.flatnonzero(np.r_[users[1:] != users[:-1], len(users) > 0]) + 1
        starts = np.maximum(np.r_[0, ends[:-1]], ends - self.window)
        for k in np.argsort(order[ends - 1], kind="stable").tolist():
            self._remember(int(users[starts[k]]), tuple(films[starts[k] : ends[k]].tolist()))
        return self

    def _install(self, sources: IntArray, indptr: IntArray, targets: NDArray[np.int32], counts: FloatArray) -> None:
        self.sources, self.indptr, self.targets, self.counts = IdIndex(sources), indptr, targets, counts
        self.next.clear()
        self.recent.clear()
        self._rows.clear()

    def _remember(self, user: int, films: tuple[int, ...]) -> None:
        self.recent.pop(user, None)
        self.recent[user] = films  # now the most recent (each step atomic: requests run in threads)
        self._evict()

    def _evict(self) -> None:
        while len(self.recent) > self.max_users:
            try:
                self.recent.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break

    def learn_one(self, user: int, film: int, stars: float) -> None:
        recent = self.recent.get(user, ())
        weight = 1.0
        for prev in reversed(recent):
            if prev != film:
                self.next[prev][film] += weight
                self._rows.pop(prev, None)
            weight *= self.decay
        self._remember(user, (*recent, film)[-self.window :])

    def _base_row(self, film: int) -> Row | None:
        pos = self.sources.find(film)
        if pos is None:
            return None
        start, end = int(self.indptr[pos]), int(self.indptr[pos + 1])
        return self.targets[start:end], self.counts[start:end]

    def _row(self, film: int) -> Row | None:
        """The film's successors and counts: the counted ones plus those learned online."""
        nxt = self.next.get(film)
        if not nxt:
            return self._base_row(film)  # views of the CSR arrays: nothing to cache
        row = self._rows.get(film)
        if row is None:
            ids: IntArray = np.fromiter(nxt.keys(), np.int64, len(nxt))
            values: FloatArray = np.fromiter(nxt.values(), np.float64, len(nxt))
            base = self._base_row(film)
            if base is not None:
                ids, inverse = np.unique(np.concatenate([base[0], ids]), return_inverse=True)
                merged = np.concatenate([base[1], values])
                values = np.bincount(inverse.ravel(), weights=merged, minlength=len(ids)).astype(np.float64)
            row = self._rows[film] = (ids, values)
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

    def state(self) -> Arrays:
        """The transition counts as CSR rows (those learned online merged in); the per-user
        recent films are not part of it."""
        if not self.next:
            return {"sources": self.sources.ids, "indptr": self.indptr, "targets": self.targets, "counts": self.counts}
        rows: dict[int, Row] = {}
        for film in [*self.sources.ids.tolist(), *self.next]:
            row = self._row(film)
            if row is not None and len(row[0]):
                rows[film] = row
        ids = np.array(sorted(rows), np.int64)
        parts = [rows[f] for f in ids.tolist()]
        indptr = np.zeros(len(ids) + 1, np.int64)
        indptr[1:] = np.cumsum([len(p[0]) for p in parts])
        targets = np.concatenate([p[0] for p in parts]).astype(np.int32) if parts else np.zeros(0, np.int32)
        counts = np.concatenate([p[1] for p in parts]).astype(np.float64) if parts else np.zeros(0)
        return {"sources": ids, "indptr": indptr, "targets": targets, "counts": counts}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self._install(
            np.asarray(arrays["sources"], np.int64),
            np.asarray(arrays["indptr"], np.int64),
            np.asarray(arrays["targets"], np.int32),
            np.asarray(arrays["counts"], np.float64),
        )

    def cache_bytes(self) -> int:
        return len(self.recent) * self.RECENT_BYTES

    def limit_cache(self, max_bytes: int) -> None:
        self.max_users = max(0, int(max_bytes) // self.RECENT_BYTES)
        self._evict()


def count_transitions(
    ratings: Ratings, window: int, decay: float, max_next: int = 0
) -> tuple[IntArray, IntArray, NDArray[np.int32], FloatArray]:
    """Every transition of a rating stream at once, as ``learn_one`` would count them one by
    one: each rating adds ``decay ** (d - 1)`` from the film the same user rated d ratings
    before (d <= ``window``, skipping the same film). Returns (sources, indptr, targets,
    counts), CSR rows over the sorted source films, targets sorted within a row; with
    ``max_next`` > 0 each row keeps its ``max_next`` largest counts (the lower film on ties).

    >>> r = Ratings(np.array([1, 1, 1, 2, 2]), np.array([10, 20, 30, 10, 30]), np.full(5, 4.0))
    >>> s, p, t, c = count_transitions(r, 2, 0.5)
    >>> s.tolist(), p.tolist(), t.tolist(), c.tolist()
    ([10, 20], [0, 2, 3], [20, 30, 30], [1.0, 1.5, 1.0])
    """
    order = np.argsort(ratings.users, kind="stable")  # each user's ratings, in time order
    users, films = ratings.users[order], ratings.films[order]
    src, dst, weight = [], [], []
    for d in range(1, window + 1):
        same = (users[d:] == users[:-d]) & (films[d:] != films[:-d])
        src.append(films[:-d][same])
        dst.append(films[d:][same])
        weight.append(np.full(int(same.sum()), decay ** (d - 1)))
    if not src or not sum(len(s) for s in src):
        return np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0)
    s, t, w = np.concatenate(src), np.concatenate(dst), np.concatenate(weight)
    by_pair = np.lexsort((t, s))
    s, t, w = s[by_pair], t[by_pair], w[by_pair]
    first = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != t[:-1])]
    starts = np.flatnonzero(first)
    s, t, c = s[starts], t[starts], np.add.reduceat(w, starts)
    if max_next > 0:
        # within each source: largest counts first, then the lower film; keep the first max_next
        rank_order = np.lexsort((t, -c, s))
        s, t, c = s[rank_order], t[rank_order], c[rank_order]
        row_start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        position = np.arange(len(s)) - np.repeat(row_start, np.diff(np.r_[row_start, len(s)]))
        keep = position < max_next
        s, t, c = s[keep], t[keep], c[keep]
        back = np.lexsort((t, s))
        s, t, c = s[back], t[back], c[back]
    sources, per_row = np.unique(s, return_counts=True)
    indptr = np.zeros(len(sources) + 1, np.int64)
    indptr[1:] = np.cumsum(per_row)
    return sources, indptr, t.astype(np.int32), c.astype(np.float64)


SPEC = ModelSpec(
    "sequence",
    Sequence,
    weight=0.3434,
    summary="what people rate next after the films this user rated last",
    params=(
        Param(
            "sequence_max_next",
            "max_next",
            0,
            int,
            minimum=0,
            help="successors kept per film when fitted, the most frequent (0: all)",
        ),
    ),
)
