"""What the batch-fitted collaborative models share: a growing rating log, a refit schedule, the
user-item matrix, and the user's *current* history as a weighted item vector.

Item-kNN, EASE and ALS learn item-item structure in a batch (seconds), but score a user from the
history passed to ``score``: a rating made a second ago counts at once, only the item-item
structure is a few events old. ``learn_one`` appends to the log; ``stale`` says a refit is due
(the replay refits synchronously, the service in a background thread).
"""

from __future__ import annotations

import threading
from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex

MAX_HALF_LIVES = 20

__all__ = ["RatingLog", "RefitModel", "select_items", "user_item_matrix", "history_weights"]


class RatingLog:
    """Append-only column arrays with amortised growth (one rating per ``append``)."""

    def __init__(self, ratings: Ratings | None = None):
        n = len(ratings) if ratings is not None else 0
        cap = max(1024, 2 * n)
        self.users = np.zeros(cap, np.int64)
        self.films = np.zeros(cap, np.int64)
        self.stars = np.zeros(cap, np.float32)
        self.n = 0
        if n:
            self.users[:n], self.films[:n], self.stars[:n] = ratings.users, ratings.films, ratings.stars
            self.n = n

    def __len__(self) -> int:
        return self.n

    def append(self, user: int, film: int, stars: float) -> None:
        if self.n == len(self.users):
            for name in ("users", "films", "stars"):
                old = getattr(self, name)
                new = np.zeros(2 * len(old), old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.users[self.n], self.films[self.n], self.stars[self.n] = user, film, stars
        self.n += 1

    def ratings(self) -> Ratings:
        n = self.n
        return Ratings(self.users[:n].copy(), self.films[:n].copy(), self.stars[:n].copy())


def select_items(ratings: Ratings, max_items: int, min_count: int) -> np.ndarray:
    """The film ids a batch model covers: the ``max_items`` most rated with >= ``min_count``
    ratings (sorted ids). Bounding the item set bounds refit time and memory; rarely rated
    films carry almost no collaborative signal anyway and are still scored by the other terms."""
    if len(ratings) == 0:
        return np.zeros(0, np.int64)
    ids, counts = np.unique(ratings.films, return_counts=True)
    keep = counts >= min_count
    ids, counts = ids[keep], counts[keep]
    if len(ids) > max_items:
        top = np.lexsort((ids, -counts))[:max_items]
        ids = ids[top]
    return np.sort(ids)


def user_item_matrix(ratings: Ratings, items: IdIndex, low_weight: float = 1.0,
                     low_below: float = 3.0):
    """Users x items CSR of interaction weights (1, or ``low_weight`` for stars < ``low_below``);
    a re-rated film counts once. Returns the matrix and the user index."""
    from scipy import sparse  # scipy loads only when a model is fitted (keeps the CLI quick)

    pos, known = items.lookup(ratings.films)
    users = IdIndex(ratings.users[known])
    rows = users.positions(ratings.users[known])
    cols = pos[known]
    w = np.where(ratings.stars[known] < low_below, low_weight, 1.0).astype(np.float32)
    m = sparse.coo_matrix((w, (rows, cols)), shape=(len(users), len(items))).tocsr()
    m.sum_duplicates()
    m.data = np.minimum(m.data, 1.0)
    m.eliminate_zeros()
    return m, users


def history_weights(history: Mapping[int, float], items: IdIndex, *, recency_half_life: float = 0.0,
                    low_weight: float = 1.0, low_below: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """The user's current history as (item positions, weights). ``history`` is in time order
    (dicts keep insertion order); with a half-life h > 0 the j-th most recent rating weighs
    ``0.5 ** (j / h)``, so what the user just watched steers the list most."""
    if not history:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    films = np.fromiter(history.keys(), np.int64, len(history))
    stars = np.fromiter(history.values(), np.float64, len(history))
    if recency_half_life > 0 and len(films) > MAX_HALF_LIVES * recency_half_life:
        keep = int(MAX_HALF_LIVES * recency_half_life)  # older ratings weigh < 2^-20: drop them
        films, stars = films[-keep:], stars[-keep:]
    w = np.where(stars < low_below, low_weight, 1.0)
    if recency_half_life > 0:
        age = np.arange(len(films) - 1, -1, -1, dtype=np.float64)
        w = w * np.power(0.5, age / recency_half_life)
    pos, known = items.lookup(films)
    return pos[known], w[known].astype(np.float32)


def decay(half_life: float) -> float:
    """Per-rating weight decay of the history for a half-life counted in ratings (0: none)."""
    return 0.5 ** (1.0 / half_life) if half_life > 0 else 1.0


class RefitModel:
    """Shared life cycle: ``fit`` replaces everything, ``learn_one`` logs, ``refit`` rebuilds.

    The refit schedule grows with the data (every ``refit_growth`` x the fitted size, at most
    every ``refit_every`` events), so a young stream is refitted often and cheaply.
    Subclasses implement ``compute(ratings)`` (pure: the fitted state), ``install(state,
    fitted_on)`` and ``score``.
    """

    name = "refit"
    refit_every: int = 5000
    refit_growth: float = 0.25
    min_refit: int = 200

    def _init_log(self) -> None:
        self.log = RatingLog()
        self.fitted_on = 0
        self._refit_lock = threading.Lock()

    def fit(self, ratings: Ratings):
        self.log = RatingLog(ratings)
        self._refit_now()
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        self.log.append(user, film, stars)

    @property
    def next_refit_at(self) -> int:
        """The log length at which the next refit is due (the schedule depends on nothing else,
        so a replay can compute that refit ahead of time, see ``compute``/``install``)."""
        return self.fitted_on + min(self.refit_every, max(self.min_refit, int(self.refit_growth * self.fitted_on)))

    @property
    def stale(self) -> bool:
        return len(self.log) >= self.next_refit_at

    def refit(self) -> None:
        """Rebuild from everything logged so far (thread-safe: one refit at a time)."""
        with self._refit_lock:
            self._refit_now()

    def maybe_refit(self) -> bool:
        if self.stale:
            self.refit()
            return True
        return False

    def _refit_now(self) -> None:
        n = len(self.log)
        self._fit(self.log.ratings())
        self.fitted_on = n

    def compute(self, ratings: Ratings):
        """The fitted state for ``ratings`` without touching the model (safe in another thread)."""
        raise NotImplementedError

    def _item_matrix(self, ratings: Ratings):
        """The films this model covers and their users x items matrix (None when there are none)."""
        items = IdIndex(select_items(ratings, self.max_items, self.min_count))
        if len(items) == 0:
            return items, None
        return items, user_item_matrix(ratings, items, self.low_weight)[0]

    def _install_versioned(self, items: IdIndex, model, empty, fitted_on: int) -> None:
        """Install (items, model, version) in one assignment, so a request in another thread sees
        the old model or the new, never a mix; a new model gets a new version (running scores)."""
        if model is None:
            self.fitted = (items, empty, self.version)
        else:
            self.fitted = (items, model, self.version + 1)
            self.version += 1
        self.fitted_on = fitted_on

    def _running_scores(self, user, history, version, full, row) -> np.ndarray:
        """The user's item scores from ``HistoryScoreCache`` (updated, or ``full()`` recomputed)."""
        return self.running.get(user, history, version, full, row, decay(self.recency_half_life),
                                lambda stars: self.low_weight if stars < 3.0 else 1.0)

    def install(self, state, fitted_on: int) -> None:
        """Make a state from ``compute`` the model's, as if refitted on ``fitted_on`` ratings."""
        raise NotImplementedError

    def _fit(self, ratings: Ratings) -> None:
        self.install(self.compute(ratings), len(ratings))


def scatter_scores(item_scores: np.ndarray, items: IdIndex, candidates: np.ndarray,
                   cache: dict) -> np.ndarray:
    """Map scores over the model's items onto ``candidates``; unknown films score just below
    the lowest known score (they rank last rather than at an arbitrary 0). The candidate
    lookup is cached while the candidates array and the item ids are the same objects (the
    scorer asks with the same array every time)."""
    hit = cache.get("lookup")
    if hit is None or hit[0] is not candidates or hit[1] is not items.ids:
        pos, known = items.lookup(candidates)
        # one gather from [item scores..., floor]: unknown candidates point at the floor slot
        hit = (candidates, items.ids, pos, known, np.where(known, pos, len(items.ids)))
        cache["lookup"] = hit
    gather = hit[4]
    n = len(item_scores)
    if n == 0:
        return np.zeros(len(candidates), np.float64)
    padded = np.empty(n + 1, np.float64)
    padded[:n] = item_scores
    padded[n] = float(item_scores.min()) - 1e-6
    return padded.take(gather)


class HistoryScoreCache:
    """Per-user running item scores for models that are linear in the history,
    ``scores = sum_i w_i row_i`` with ``w_i = low_weight? * 0.5 ** (age_i / half_life)``.

    When the history grew by a few new films since the last call, the cached scores are
    decayed and those films' rows are added: O(items) instead of O(history x items), which
    is what makes a heavy user (1,000+ ratings) as cheap as a new one. Anything else (a refit,
    a re-rated film, another history) recomputes from scratch.
    """

    max_steps = 16   # more new films than this since the last call: recompute

    def __init__(self, max_users: int = 100_000):
        self.max_users = max_users
        self.entries: dict = {}

    def clear(self) -> None:
        self.entries.clear()

    def get(self, user, history: Mapping[int, float], version: int, full, row, decay: float,
            weight_of) -> np.ndarray:
        """``full()`` computes from scratch; ``row(film)`` is one film's row (or None if the model
        does not cover it); ``weight_of(stars)`` its static weight; ``decay`` the per-step factor."""
        n = len(history)
        if user is None or n == 0:
            return full()
        it = reversed(history)
        last = next(it)
        key_last = (last, history[last])
        entry = self.entries.get(user)
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
                    self.entries[user] = (version, n, key_last, scores)
                    return scores
        scores = full()
        if len(self.entries) >= self.max_users:
            self.entries.pop(next(iter(self.entries)))
        self.entries[user] = (version, n, key_last, scores)
        return scores
