"""What the batch-fitted collaborative models share: a growing rating log, a refit schedule, the
user-item matrix, and the user's *current* history as a weighted item vector.

Item-kNN, EASE and ALS learn item-item structure in a batch (seconds), but score a user from the
history passed to ``score``: a rating made a second ago counts at once, only the item-item
structure is a few events old. ``learn_one`` appends to the log; ``stale`` says a refit is due
(the replay refits synchronously or computes the refit ahead, the service in a background thread).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import Arrays, BaseModel, FloatArray, IntArray, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex
from personalization.core.base_models.running import HistoryScoreCache

MAX_HALF_LIVES = 20

__all__ = [
    "RatingLog",
    "RefitModel",
    "LinearHistoryModel",
    "Rows",
    "select_items",
    "user_item_matrix",
    "history_weights",
]

State = TypeVar("State")


class RatingLog:
    """Append-only column arrays with amortised growth (one rating per ``append``)."""

    def __init__(self, ratings: Ratings | None = None):
        n = len(ratings) if ratings is not None else 0
        cap = max(1024, 2 * n)
        self.users: IntArray = np.zeros(cap, np.int64)
        self.films: IntArray = np.zeros(cap, np.int64)
        self.stars: NDArray[np.float32] = np.zeros(cap, np.float32)
        self.n = 0
        if ratings is not None and n:
            self.users[:n], self.films[:n], self.stars[:n] = ratings.users, ratings.films, ratings.stars
            self.n = n

    def __len__(self) -> int:
        return self.n

    def append(self, user: int, film: int, stars: float) -> None:
        if self.n == len(self.users):
            self.users = _grown(self.users, self.n)
            self.films = _grown(self.films, self.n)
            self.stars = _grown(self.stars, self.n)
        self.users[self.n], self.films[self.n], self.stars[self.n] = user, film, stars
        self.n += 1

    def ratings(self) -> Ratings:
        n = self.n
        return Ratings(self.users[:n].copy(), self.films[:n].copy(), self.stars[:n].copy())


A = TypeVar("A", bound=np.generic)


def _grown(old: NDArray[A], n: int) -> NDArray[A]:
    new = np.zeros(2 * len(old), old.dtype)
    new[:n] = old[:n]
    return new


def select_items(ratings: Ratings, max_items: int, min_count: int) -> IntArray:
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


def user_item_matrix(
    ratings: Ratings, items: IdIndex, low_weight: float = 1.0, low_below: float = 3.0
) -> tuple[Any, IdIndex]:
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


def history_weights(
    history: Mapping[int, float],
    items: IdIndex,
    *,
    recency_half_life: float = 0.0,
    low_weight: float = 1.0,
    low_below: float = 3.0,
) -> tuple[IntArray, NDArray[np.float32]]:
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


class RefitModel(BaseModel, Generic[State]):
    """A base model whose item structure is computed in batches from a growing rating log.

    ``fit`` replaces everything, ``learn_one`` logs, ``refit`` rebuilds from the log. The refit
    schedule grows with the data (every ``refit_growth`` x the fitted size, at least every
    ``min_refit`` and at most every ``refit_every`` events), so a young stream is refitted often
    and cheaply. A refit is split in two so it can run elsewhere: ``compute(ratings)`` is pure
    (the fitted state, safe in another thread) and ``install(state, fitted_on)`` makes it the
    model's in one assignment (a request in another thread sees the old state or the new).

    A model given a published state (``load_state``) is *served*: it logs nothing and is never
    stale (the trainer publishes the next structure; the user's current history still counts
    at once, since scores are computed from it).
    """

    refit_growth = 0.25
    min_refit = 200

    def __init__(self, *, max_items: int, min_count: int, low_weight: float, refit_every: int):
        if refit_every < 1 or max_items < 1:
            raise ValueError(f"refit_every and max_items must be >= 1, got {refit_every}, {max_items}")
        self.max_items, self.min_count = int(max_items), int(min_count)
        self.low_weight, self.refit_every = float(low_weight), int(refit_every)
        self.log = RatingLog()
        self.fitted_on = 0  # the log length the installed state was computed from
        self.learning = True  # False once served from a published state: no log, no refit
        self._refit_lock = threading.Lock()

    def fit(self, ratings: Ratings) -> RefitModel[State]:
        self.log = RatingLog(ratings)
        self.learning = True
        with self._refit_lock:
            self.install(self.compute(ratings), len(ratings))
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        if self.learning:
            self.log.append(user, film, stars)

    @property
    def next_refit_at(self) -> int:
        """The log length at which the next refit is due (the schedule depends on nothing else,
        so a replay can compute that refit ahead of time, see ``compute``/``install``)."""
        return self.fitted_on + min(self.refit_every, max(self.min_refit, int(self.refit_growth * self.fitted_on)))

    @property
    def stale(self) -> bool:
        return self.learning and len(self.log) >= self.next_refit_at

    @property
    def refitting(self) -> bool:
        """A refit is running (in another thread)."""
        return self._refit_lock.locked()

    def refit(self) -> None:
        if not self.learning:
            return  # served: the next structure comes from the trainer
        with self._refit_lock:
            n = len(self.log)
            self.install(self.compute(self.log.ratings()), n)

    @abc.abstractmethod
    def compute(self, ratings: Ratings) -> State:
        """The fitted state for ``ratings`` without touching the model (safe in another thread)."""

    @abc.abstractmethod
    def install(self, state: State, fitted_on: int) -> None:
        """Make a state from ``compute`` the model's, as if refitted on ``fitted_on`` ratings."""

    @abc.abstractmethod
    def to_arrays(self) -> Arrays:
        """The installed state as named arrays (``state`` adds ``fitted_on``)."""

    @abc.abstractmethod
    def from_arrays(self, arrays: Mapping[str, NDArray[Any]]) -> State:
        """The inverse of ``to_arrays``: a state ``install`` takes."""

    def state(self) -> Arrays:
        return {"fitted_on": np.array(self.fitted_on, np.int64), **self.to_arrays()}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        installed = self.from_arrays(arrays)
        with self._refit_lock:
            self.log = RatingLog()
            self.learning = False
            self.install(installed, int(arrays["fitted_on"]))

    def _item_matrix(self, ratings: Ratings) -> tuple[IdIndex, Any]:
        """The films this model covers and their users x items matrix (None when there are none)."""
        items = IdIndex(select_items(ratings, self.max_items, self.min_count))
        if len(items) == 0:
            return items, None
        return items, user_item_matrix(ratings, items, self.low_weight)[0]


# An item-item structure: one row per covered film, ``row_i`` = what rating film i adds to every
# film's score. A dense float32 matrix (EASE) or a scipy CSR (item-kNN, EASE pruned to its top
# neighbours); None before the first fit.
Rows = Any


class LinearHistoryModel(RefitModel[tuple[IdIndex, Rows]]):
    """A refit model whose user scores are linear in the history, ``sum_i w_i row_i`` (EASE,
    item-kNN): a user's scores are kept between requests and updated with the new films' rows
    (``HistoryScoreCache``) while the installed structure (``version``) stays the same.
    Subclasses implement ``compute`` (the rows); scoring, installing and the published state
    (the film ids and the rows, dense or CSR) are shared."""

    def __init__(
        self, *, max_items: int, min_count: int, low_weight: float, refit_every: int, recency_half_life: float
    ):
        super().__init__(max_items=max_items, min_count=min_count, low_weight=low_weight, refit_every=refit_every)
        if recency_half_life < 0:
            raise ValueError(f"recency_half_life must be >= 0, got {recency_half_life}")
        self.recency_half_life = float(recency_half_life)
        self.version = 0  # one per installed structure: running scores are per version
        self.running = HistoryScoreCache()
        self.fitted: tuple[IdIndex, Rows, int] = (IdIndex(), None, 0)
        self._gather = CandidateGather()

    @property
    def items(self) -> IdIndex:
        return self.fitted[0]

    def install(self, state: tuple[IdIndex, Rows], fitted_on: int) -> None:
        items, rows = state
        if rows is None:  # one assignment: a request in another thread never sees a mix
            self.fitted = (items, None, self.version)
        else:
            self.version += 1
            self.fitted = (items, rows, self.version)
        self.fitted_on = fitted_on

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        items, rows, version = self.fitted
        if rows is None:
            return np.zeros(len(candidates), np.float64)
        dense = isinstance(rows, np.ndarray)

        def full() -> FloatArray:
            pos, w = history_weights(
                history, items, recency_half_life=self.recency_half_life, low_weight=self.low_weight
            )
            if not len(pos):
                return np.zeros(len(items))
            if dense:
                return np.asarray(w.astype(np.float64) @ rows[pos], np.float64)
            return np.asarray(rows[pos].T @ w.astype(np.float64), np.float64).ravel()

        def row(film: int) -> NDArray[Any] | None:
            pos = items.find(film)
            if pos is None:
                return None
            if dense:
                return np.asarray(rows[pos])
            start, end = rows.indptr[pos], rows.indptr[pos + 1]
            out = np.zeros(len(items))
            out[rows.indices[start:end]] = rows.data[start:end]
            return out

        scores = self.running.get(
            user,
            history,
            version,
            full,
            row,
            decay(self.recency_half_life),
            lambda stars: self.low_weight if stars < 3.0 else 1.0,
        )
        return self._gather(scores, items, candidates)

    def to_arrays(self) -> Arrays:
        items, rows, _ = self.fitted
        out: Arrays = {"items": items.ids}
        if isinstance(rows, np.ndarray):
            out["weights"] = rows
        elif rows is not None:
            out.update(indptr=rows.indptr, indices=rows.indices, data=rows.data)
        return out

    def from_arrays(self, arrays: Mapping[str, NDArray[Any]]) -> tuple[IdIndex, Rows]:
        items = IdIndex(arrays["items"])
        if "weights" in arrays:
            return items, np.asarray(arrays["weights"])
        if "indptr" in arrays:
            from scipy import sparse

            n = len(items)
            return items, sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        return items, None

    def cache_bytes(self) -> int:
        return self.running.nbytes

    def limit_cache(self, max_bytes: int) -> None:
        self.running.limit(max_bytes)
