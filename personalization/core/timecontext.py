"""Time-of-day and day-of-week context, learned from a user's own activity (pure, no I/O).

A *context* is one of 8 cells: weekday or weekend, times one of four dayparts (night 0-6h,
morning 6-12h, afternoon 12-18h, evening 18-24h), read from a rating's time in UTC (``offset``
hours shift it: the stores keep UTC, a community may live elsewhere). For each user the genres of
the films they liked (4 stars or more) are counted per context, each film spreading one unit over
its genres. At a moment in context c, a genre's *lift* is its share among the user's likes in c,
smoothed towards their overall share with ``prior`` pseudo-likes, minus the overall share; a
film's context score is the mean lift of its genres, scaled to [-1, 1] over the catalogue. It is
a mild re-rank: ``score + weight * context`` on the blend's [0, 1] scores
(``ModelSettings.context_weight``, 0 = off). Until the user has ``MIN_LIKES`` likes in that
context there is no context score.

>>> import numpy as np
>>> genres = np.array([[1.0, 0.0], [0.0, 1.0]])  # film 0: comedy, film 1: horror
>>> ctx = ContextProfile(genres, min_likes=1)
>>> saturday_night, monday_noon = 1_700_345_600, 1_700_482_400  # 2023-11-18 22:13, 11-20 12:13 UTC
>>> for _ in range(3):
...     ctx.learn_one(7, 1, saturday_night, 5.0); ctx.learn_one(7, 0, monday_noon, 5.0)
>>> [round(float(x), 2) for x in ctx.scores(7, saturday_night)]
[-1.0, 1.0]
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["ContextProfile", "context_of", "describe", "genre_matrix", "DAYPARTS", "N_CONTEXTS", "MIN_LIKES", "LIKED"]

DAYPARTS = ("night", "morning", "afternoon", "evening")
N_CONTEXTS = 2 * len(DAYPARTS)
MIN_LIKES = 3
LIKED = 4.0


def context_of(at: float, offset_hours: float = 0.0) -> int:
    """The context cell of a time in seconds (Unix): ``4 * weekend + daypart``."""
    t = time.gmtime(float(at) + offset_hours * 3600.0)
    return 4 * int(t.tm_wday >= 5) + t.tm_hour // 6


def describe(context: int) -> str:
    return f"{'weekend' if context >= 4 else 'weekday'} {DAYPARTS[context % 4]}"


def genre_matrix(film_genres: list[tuple[str, ...]] | list[list[str]]) -> np.ndarray:
    """Films x genres, each film's row spreading one unit over its genres (zeros: no genre)."""
    names = sorted({g for gs in film_genres for g in gs})
    index = {g: i for i, g in enumerate(names)}
    out = np.zeros((len(film_genres), max(1, len(names))))
    for row, gs in enumerate(film_genres):
        unique = list(dict.fromkeys(gs))
        for g in unique:
            out[row, index[g]] = 1.0 / len(unique)
    return out


class ContextProfile:
    """Per user, the genres of their likes per context (river-style: ``learn_one``, ``scores``)."""

    def __init__(
        self, genres: np.ndarray, *, prior: float = 5.0, min_likes: int = MIN_LIKES, offset_hours: float = 0.0
    ):
        self.genres = np.asarray(genres, dtype=np.float64)
        self.prior, self.min_likes, self.offset_hours = float(prior), int(min_likes), float(offset_hours)
        self.counts: dict[int, np.ndarray] = {}  # user -> contexts x genres
        self.likes: dict[int, np.ndarray] = {}  # user -> likes per context

    def learn_one(self, user: int, position: int, at: float | None, stars: float) -> None:
        if at is None or stars < LIKED:
            return
        c = context_of(at, self.offset_hours)
        counts = self.counts.get(user)
        if counts is None:
            counts = self.counts[user] = np.zeros((N_CONTEXTS, self.genres.shape[1]))
            self.likes[user] = np.zeros(N_CONTEXTS)
        counts[c] += self.genres[position]
        self.likes[user][c] += 1

    def scores(self, user: int, at: float | None) -> np.ndarray | None:
        """Each film's context score in [-1, 1] for ``user`` at ``at``; None when not known."""
        counts = self.counts.get(user)
        if counts is None or at is None:
            return None
        c = context_of(at, self.offset_hours)
        if self.likes[user][c] < self.min_likes:
            return None
        total = counts.sum(0)
        n_all, n_ctx = float(total.sum()), float(counts[c].sum())
        if n_all <= 0:
            return None
        share = total / n_all
        lift = (counts[c] + self.prior * share) / (n_ctx + self.prior) - share
        film = self.genres @ lift
        top = float(np.abs(film).max())
        return film / top if top > 0 else None
