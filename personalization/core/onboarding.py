"""A new member's first cards: the films whose answers teach the engine the most (pure, no I/O).

Two strategies, one function (``choose``):

``popular``
    The most rated films the member has not rated, one per leading genre first (what
    ``films_to_rate`` showed before this module): cards most members can answer.

``informative`` (the default)
    Films that *split opinion*, that people *know*, that *cover different tastes* and that
    follow the member's answers. Each film's value is

        value = known ** popularity x split ** opinion
        known = log(1 + n) / log(1 + n_max)       (can the member answer it: popular enough)
        split = entropy of its ratings' (disliked <= 2, middling, liked >= 4) shares, in [0, 1]

    (Rashid et al.'s "popularity x entropy"); films with fewer than ``min_ratings`` ratings are
    worth nothing (their entropy says little). The cards are then picked greedily, maximal
    marginal relevance: each next card maximises ``(1 - diversity) * relevance - diversity *
    similarity``, ``similarity`` the largest cosine of its content vector with a card already
    picked *or a film the member already answered*, ``relevance = value / max value + taste *
    max(0, cos(the member's answers' direction, film))``. So after each answer the next cards
    adapt: away from what was asked and from what was disliked, towards what was liked. The
    defaults (popularity 2, diversity 0.3, taste 2, or 0.5 once the member picked genres) won
    the simulation in ``evaluation/onboarding.py`` (docs/onboarding.md): leaning towards liked
    films helped more than pure exploration; with picked genres a lighter pull did better.

With ``first`` (a mask, e.g. the genres a member picked) the cards come from those films first
and from the rest only when they run out.

>>> import numpy as np
>>> stats = OpinionStats.from_ratings(np.array([1, 1, 1, 1, 2, 2, 2, 2]),
...                                   np.array([1.0, 5.0, 3.0, 5.0, 4.0, 4.0, 4.5, 5.0]))
>>> [round(s, 3) for s in stats.split().tolist()]  # film 1 divides its raters, film 2 does not
[0.946, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.signals import stars_strength

__all__ = ["STRATEGIES", "DEFAULT_STRATEGY", "OpinionStats", "Params", "choose", "opinion_bins"]

STRATEGIES = ("popular", "informative")
DEFAULT_STRATEGY = "informative"

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


def opinion_bins(stars: NDArray[np.floating]) -> IntArray:
    """0 disliked (<= 2 stars), 1 middling (2.5 to 3.5), 2 liked (>= 4): the strength's sign."""
    s = np.asarray(stars, np.float64)
    return np.where(s <= 2.0, 0, np.where(s >= 4.0, 2, 1)).astype(np.int64)


@dataclass(frozen=True)
class OpinionStats:
    """Per film: how many rated it and how their ratings fall into the three opinion bins."""

    film_ids: IntArray  # sorted ascending
    bins: IntArray  # len(film_ids) x 3 counts: disliked, middling, liked
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, int, int]]) -> OpinionStats:
        """``(film, disliked, middling, liked)`` rows (the storage's query), any order."""
        ordered = sorted((int(f), int(a), int(b), int(c)) for f, a, b, c in rows)
        ids = np.array([r[0] for r in ordered], np.int64)
        bins = np.array([r[1:] for r in ordered], np.int64).reshape(len(ordered), 3)
        return cls(ids, bins)

    @classmethod
    def from_ratings(cls, films: NDArray[np.integer], stars: NDArray[np.floating]) -> OpinionStats:
        """The same statistics from rating arrays in memory (the simulation's)."""
        films = np.asarray(films, np.int64)
        ids, inverse = np.unique(films, return_inverse=True)
        bins = np.zeros((len(ids), 3), np.int64)
        np.add.at(bins, (inverse.ravel(), opinion_bins(np.asarray(stars))), 1)
        return cls(ids, bins)

    @property
    def counts(self) -> IntArray:
        return np.asarray(self.bins.sum(axis=1), np.int64)

    def split(self) -> FloatArray:
        """Normalised entropy of each film's opinion shares: 0 all agree, 1 evenly split."""
        cached = self._cache.get("split")
        if cached is None:
            cached = self._cache["split"] = self._split()
        return cached

    def _split(self) -> FloatArray:
        n = self.bins.sum(axis=1, keepdims=True).astype(np.float64)
        p = np.divide(self.bins, n, out=np.zeros(self.bins.shape), where=n > 0)
        logs = np.log(p, out=np.zeros_like(p), where=p > 0)
        return np.asarray(np.abs((p * logs).sum(axis=1)) / np.log(3.0), np.float64)

    def aligned(self, catalogue_ids: IntArray) -> tuple[IntArray, FloatArray]:
        """``(counts, split)`` at each catalogue position (0 for a film nobody rated); the last
        catalogue's answer is kept (the same catalogue asks again for every card)."""
        last = self._cache.get("aligned")
        if last is not None and last[0] is catalogue_ids:
            return last[1], last[2]
        counts = np.zeros(len(catalogue_ids), np.int64)
        split = np.zeros(len(catalogue_ids), np.float64)
        if len(self.film_ids) and len(catalogue_ids):
            pos = np.searchsorted(self.film_ids, catalogue_ids).clip(0, len(self.film_ids) - 1)
            hit = self.film_ids[pos] == catalogue_ids
            counts[hit] = self.counts[pos[hit]]
            split[hit] = self.split()[pos[hit]]
        self._cache["aligned"] = (catalogue_ids, counts, split)
        return counts, split


@dataclass(frozen=True)
class Params:
    """The informative strategy's knobs (defaults chosen by the simulation, docs/onboarding.md)."""

    min_ratings: int = 10  # fewer ratings (or fewer than the pool-th most rated film has): value 0
    popularity: float = 2.0  # value = known ** popularity x split ** opinion: higher favours
    opinion: float = 1.0  # films people know (popularity), films that split opinion (opinion)
    diversity: float = 0.3  # weight of the similarity penalty in the greedy pick, in [0, 1]
    taste: float = 2.0  # pull towards films like those the member's answers liked
    taste_with_genres: float = 0.5  # the same once the member picked genres (those steer already)
    pool: int = 400  # the most valuable films considered (the greedy pick is over these)

    def __post_init__(self) -> None:
        if (
            self.min_ratings < 0
            or self.popularity < 0
            or not 0.0 <= self.diversity <= 1.0
            or self.taste < 0
            or self.pool < 1
        ):
            raise ValueError(f"bad onboarding parameters: {self}")


def choose(
    catalogue_ids: IntArray,
    genres: Sequence[tuple[str, ...]],
    matrix: NDArray[np.float32],
    stats: OpinionStats,
    n: int,
    *,
    excluded: BoolArray | None = None,
    answers: Mapping[int, float] | None = None,
    first: BoolArray | None = None,
    strategy: str = DEFAULT_STRATEGY,
    params: Params | None = None,
) -> list[int]:
    """Catalogue *positions* of up to ``n`` cards, best first.

    ``catalogue_ids`` (sorted), ``genres`` (each film's genres) and ``matrix`` (unit content
    vectors) describe the catalogue; ``excluded`` marks films never to show (rated, hidden);
    ``answers`` are the member's ``{film id: stars}`` so far (steer the informative pick away
    from what was asked, ``taste`` towards what was liked); ``first`` marks the films to take
    before the others (a member's chosen genres).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown onboarding strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    size = len(catalogue_ids)
    open_ = np.ones(size, bool) if excluded is None else ~np.asarray(excluded, bool)
    if n <= 0 or not open_.any():
        return []
    counts, split = stats.aligned(np.asarray(catalogue_ids, np.int64))
    groups = [open_] if first is None else [open_ & first, open_ & ~np.asarray(first, bool)]
    if strategy == "popular":
        out: list[int] = []
        for group in groups:
            out += _popular(catalogue_ids, genres, counts, group, n - len(out))
        return out
    return _informative(catalogue_ids, matrix, counts, split, groups, n, answers or {}, params or Params())


def _by_count(catalogue_ids: IntArray, counts: IntArray, mask: BoolArray) -> IntArray:
    cand = np.flatnonzero(mask)
    return cand[np.lexsort((catalogue_ids[cand], -counts[cand]))]


def _popular(
    catalogue_ids: IntArray, genres: Sequence[tuple[str, ...]], counts: IntArray, mask: BoolArray, n: int
) -> list[int]:
    """The most rated first, one per leading genre before a second of any (ties: lower id)."""
    if n <= 0:
        return []
    picked: list[int] = []
    rest: list[int] = []
    seen: set[str] = set()
    for pos in _by_count(catalogue_ids, counts, mask)[: max(20 * n, 100)].tolist():
        lead = genres[pos][0] if genres[pos] else ""
        (rest if lead in seen else picked).append(pos)
        seen.add(lead)
        if len(picked) == n:
            break
    return (picked + rest)[:n]


def _taste(matrix: NDArray[np.float32], answers: Mapping[int, float], catalogue_ids: IntArray) -> FloatArray | None:
    """The member's direction from their answers: the sum of strength x content vector."""
    vec = np.zeros(matrix.shape[1], np.float64)
    for film, stars in answers.items():
        pos = int(np.searchsorted(catalogue_ids, film))
        if pos < len(catalogue_ids) and catalogue_ids[pos] == film:
            vec += stars_strength(float(stars)) * matrix[pos]
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else None


def _informative(
    catalogue_ids: IntArray,
    matrix: NDArray[np.float32],
    counts: IntArray,
    split: FloatArray,
    groups: list[BoolArray],
    n: int,
    answers: Mapping[int, float],
    p: Params,
) -> list[int]:
    top = float(np.log1p(counts.max())) if len(counts) else 0.0
    known = np.log1p(counts) / top if top > 0 else np.zeros(len(counts))
    # A small catalogue's films have few ratings: never ask more than the pool-th most rated has.
    floor = min(p.min_ratings, int(np.sort(counts)[-p.pool])) if len(counts) >= p.pool else p.min_ratings
    value = np.where(counts >= max(floor, 2), known**p.popularity * split**p.opinion, 0.0)
    asked = [int(i) for i in np.searchsorted(catalogue_ids, list(answers)) if i < len(catalogue_ids)]
    asked = [i for i, f in zip(asked, answers) if catalogue_ids[i] == f]
    pull = p.taste if len(groups) == 1 else p.taste_with_genres
    taste = _taste(matrix, answers, catalogue_ids) if pull > 0 else None
    out: list[int] = []
    for group in groups:
        if len(out) >= n or not group.any():
            continue
        # The pool: the most valuable films, then (a catalogue nobody has rated yet) the most rated.
        cand = np.flatnonzero(group)
        cand = cand[np.lexsort((catalogue_ids[cand], -counts[cand], -value[cand]))][: max(p.pool, n)]
        relevance = value[cand] / max(float(value[cand].max()), 1e-12)
        if taste is not None:
            relevance = relevance + pull * np.clip(matrix[cand] @ taste, 0.0, None)
        ref = [*asked, *out]
        sim = np.zeros(len(cand)) if not ref else np.clip(matrix[cand] @ matrix[ref].T, 0.0, None).max(axis=1)
        free = np.ones(len(cand), bool)
        while len(out) < n and free.any():
            score = np.where(free, (1.0 - p.diversity) * relevance - p.diversity * sim, -np.inf)
            best = np.flatnonzero(np.round(score, 9) == np.round(score.max(), 9))[0]  # ties: the pool's order
            out.append(int(cand[best]))
            free[best] = False
            sim = np.maximum(sim, np.clip(matrix[cand] @ matrix[cand[best]], 0.0, None))
    return out
