"""A learned re-ranker over the blend's shortlist (LightGBM, LambdaMART objective).

The blend ranks the whole catalogue; the learned ranker re-orders its top ``SHORTLIST`` films
from features the blend cannot combine by a fixed weighted sum: each term's score and rank, the
blend's own, the film's popularity and age, the user's affinity for the film's genres, how
active they are, how they rate and how long since their last rating (``FeatureBuilder``). It is
trained on past events only: for each past rating >= 4 whose film was in the shortlist, that
film is the positive of its group and the rest of the shortlist the negatives.

LightGBM is imported only when a ranker is trained or used (``pip install lightgbm``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["SHORTLIST", "UserStats", "FeatureBuilder", "LearnedRanker"]

SHORTLIST = 100  # how many of the blend's best films are re-ranked
YEAR_SECONDS = 365.25 * 24 * 3600
F64 = NDArray[np.float64]


@dataclass
class UserStats:
    """What the features need to know about a user, kept up to date one rating at a time."""

    n: int = 0
    stars_sum: float = 0.0
    stars_sq: float = 0.0
    last_time: float | None = None
    genres: F64 = field(default_factory=lambda: np.zeros(0))  # per genre: ratings >= 4 of that genre

    def learn_one(self, stars: float, time: float | None, film_genres: F64) -> None:
        self.n += 1
        self.stars_sum += stars
        self.stars_sq += stars * stars
        if time is not None:
            self.last_time = time if self.last_time is None else max(self.last_time, time)
        if stars >= 4.0:
            self.genres = film_genres.copy() if len(self.genres) == 0 else self.genres + film_genres


class FeatureBuilder:
    """Rows of features for a user's shortlisted films (one row per film, ``names`` columns)."""

    def __init__(self, terms: Sequence[str], genres: NDArray[Any], years: F64):
        self.terms = list(terms)
        self.genre_matrix = np.asarray(genres, np.float64)  # films x genres, 0/1
        self.genre_counts = np.maximum(self.genre_matrix.sum(axis=1), 1.0)
        self.years = np.asarray(years, np.float64)  # NaN when unknown
        self.names = [
            *(f"{t}_{kind}" for t in self.terms for kind in ("score", "rank")),
            "blend_score",
            "blend_rank",
            "popularity",
            "film_age",
            "genre_affinity",
            "activity",
            "mean_stars",
            "std_stars",
            "since_last_days",
        ]

    def rows(
        self,
        shortlist: NDArray[np.int64],
        terms: Mapping[str, NDArray[np.floating]],
        blend: NDArray[np.floating],
        counts: NDArray[np.int64],
        user: UserStats,
        time: float | None,
    ) -> F64:
        """``shortlist``: catalogue positions in the blend's order; ``terms`` the normalised
        term scores and ``blend`` the blend's, over the catalogue; ``counts`` ratings per film."""
        n = len(shortlist)
        cols: list[F64] = []
        order = np.arange(1, n + 1, dtype=np.float64)
        for t in self.terms:
            sc = np.asarray(terms[t][shortlist], np.float64) if t in terms else np.full(n, np.nan)
            cols.append(sc)
            rank = np.empty(n)
            rank[np.argsort(-np.nan_to_num(sc, nan=-1.0), kind="stable")] = order
            cols.append(rank)
        cols.append(np.asarray(blend[shortlist], np.float64))
        cols.append(order)
        cols.append(np.log1p(counts[shortlist].astype(np.float64)))
        year_now = 1970.0 + time / YEAR_SECONDS if time is not None else np.nan
        cols.append(year_now - self.years[shortlist])
        if user.n and len(user.genres):
            share = user.genres / max(1.0, float(user.genres.sum()))
            cols.append(self.genre_matrix[shortlist] @ share / self.genre_counts[shortlist])
        else:
            cols.append(np.zeros(n))
        mean = user.stars_sum / user.n if user.n else np.nan
        var = user.stars_sq / user.n - mean * mean if user.n else np.nan
        since = (time - user.last_time) / 86400.0 if time is not None and user.last_time is not None else np.nan
        for value in (math.log1p(user.n), mean, math.sqrt(max(var, 0.0)) if user.n else np.nan, since):
            cols.append(np.full(n, value, np.float64))
        return np.column_stack(cols)


class LearnedRanker:
    """LightGBM's LambdaMART over ``FeatureBuilder`` rows; deterministic for a seed (one thread)."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        seed: int = 7,
    ):
        self.names = list(names)
        self.rounds = int(n_estimators)
        self.params: dict[str, Any] = {  # LightGBM's own names (its native API: no scikit-learn)
            "objective": "lambdarank",
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_data_in_leaf": min_child_samples,
            "seed": seed,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
            "lambdarank_truncation_level": 20,
            "eval_at": [10],
        }
        self.model: Any = None
        self.trained_on = 0  # groups (past events) the installed model was trained on

    def fit(self, rows: F64, labels: NDArray[np.int64], groups: Sequence[int]) -> LearnedRanker:
        import lightgbm

        data = lightgbm.Dataset(rows, labels, group=list(groups), feature_name=self.names, free_raw_data=True)
        self.model = lightgbm.train(self.params, data, num_boost_round=self.rounds)
        self.trained_on = len(groups)
        return self

    @property
    def fitted(self) -> bool:
        return self.model is not None

    def score(self, rows: F64) -> F64:
        return np.asarray(self.model.predict(rows, num_threads=1), np.float64)

    def importances(self) -> dict[str, float]:
        """Each feature's share of the total split gain (sums to 1; empty before training)."""
        if self.model is None:
            return {}
        gain = np.asarray(self.model.feature_importance(importance_type="gain"), np.float64)
        total = float(gain.sum()) or 1.0
        return {n: float(g / total) for n, g in sorted(zip(self.names, gain), key=lambda x: -x[1])}
