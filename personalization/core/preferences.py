"""Preference analysis: what a user's ratings say about their taste (pure, no I/O).

Definitions (the analytics pipelines reproduce them exactly, see ``analytics``):

* ``mu`` is the user's mean rating. For a feature f (a genre, director, actor or decade) on
  ``n_f`` of the user's rated films, ``significance = sum(stars - mu) / (n_f + SHRINKAGE)``: how
  far the user's ratings of f sit above their own mean, shrunk towards 0 when f was rated rarely.
  A genre rated often but low scores below one rated 5/5 (unlike ``mean * log(count)``).
  Favourites are the features with significance > 0, best first (ties: more ratings, then name).
* Rating style compares ``mu`` with the community's mean rating, in units of the community's
  rating standard deviation: above +STYLE_BAND generous, below -STYLE_BAND harsh, else balanced.
* Diversity is the normalised entropy of the user's genre counts, ``H / ln(G)`` with G the number
  of genres in the catalogue: 0 for one genre, 1 for all genres equally.

Time (docs/time_and_drift.md), when every rating carries its time (``RatedFilm.at``, seconds):

* With ``half_life_days`` h > 0 a rating weighs ``w = 0.5 ** (age / h)``, its age counted from
  the user's latest rating, and the favourites use weighted sums against the user's own mean
  (their rating scale, every rating alike): ``significance = sum(w (s - mu)) / (sum(w) over f +
  SHRINKAGE)``, ``mean`` the weighted mean of f (``n`` stays the count). Off (the default), or
  without times, nothing changes. The mean rating, style, diversity and distribution always count
  every rating alike.
* ``drift`` (``core.drift``) compares the last ratings with the ones before; None without times
  (the given order is then not known to be time order).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from personalization.core.drift import Drift, detect
from personalization.core.user_model import age_weight

__all__ = [
    "RatedFilm",
    "FeatureScore",
    "PreferenceProfile",
    "CommunityStats",
    "analyse",
    "SHRINKAGE",
    "STYLE_BAND",
    "TOP_N",
    "STAR_STEPS",
]

SHRINKAGE = 5.0
STYLE_BAND = 0.25
TOP_N = 10
STAR_STEPS = tuple(x / 2 for x in range(1, 11))
FIELDS = ("genres", "directors", "actors", "decades")


class RatedFilm(NamedTuple):
    """One of the user's ratings with the film's metadata (a tuple: cheap to make by the 1,000)."""

    film_id: int
    stars: float
    genres: Sequence[str] = ()
    directors: Sequence[str] = ()
    actors: Sequence[str] = ()
    year: int | None = None
    at: float | None = None  # when it was rated, in seconds (a Unix time); None: not known


@dataclass(frozen=True)
class CommunityStats:
    mean: float = 0.0
    std: float = 0.0
    n_genres: int = 0  # distinct genres in the catalogue


@dataclass(frozen=True)
class FeatureScore:
    name: str
    n: int
    mean: float
    significance: float


@dataclass
class PreferenceProfile:
    user_id: int
    n_ratings: int
    mean_rating: float | None
    genres: list[FeatureScore] = field(default_factory=list)
    directors: list[FeatureScore] = field(default_factory=list)
    actors: list[FeatureScore] = field(default_factory=list)
    decades: list[FeatureScore] = field(default_factory=list)
    style: str = "unknown"  # generous | balanced | harsh | unknown (no ratings)
    style_delta: float = 0.0  # (mu - community mean) / community std
    community_mean: float = 0.0
    diversity: float = 0.0
    distribution: dict[str, int] = field(default_factory=dict)
    blend_weight: float | None = None  # filled in by the service (learned per user)
    model_weights: dict[str, float] = field(default_factory=dict)
    half_life_days: float = 0.0  # the recency half-life the favourites were weighted with (0 = off)
    drift: Drift | None = None  # recent vs long-term taste; None when rating times are not known

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreferenceProfile:
        data = dict(data)
        for name in FIELDS:
            data[name] = [FeatureScore(**f) for f in data.get(name, [])]
        if isinstance(data.get("drift"), Mapping):
            data["drift"] = Drift.from_dict(data["drift"])
        return cls(**data)


def decade_of(year: int | None) -> str | None:
    return f"{int(year) // 10 * 10}s" if year else None


def analyse(
    user_id: int,
    films: Iterable[RatedFilm],
    community: CommunityStats,
    top_n: int = TOP_N,
    *,
    half_life_days: float = 0.0,
) -> PreferenceProfile:
    films = list(films)
    n = len(films)
    timed = n > 0 and all(f.at is not None for f in films)
    if timed:
        films.sort(key=lambda f: float(f.at))  # type: ignore[arg-type]  # every at is set
    taste_drift = detect([(f.genres, f.stars) for f in films]) if timed else None
    if timed and half_life_days > 0:
        profile = _analyse_weighted(user_id, films, community, top_n, half_life_days)
        profile.drift = taste_drift
        return profile
    profile = _analyse(user_id, films, community, top_n)
    profile.drift = taste_drift
    return profile


def _analyse(user_id: int, films: list[RatedFilm], community: CommunityStats, top_n: int) -> PreferenceProfile:
    n = len(films)
    distribution = {f"{s:g}": 0 for s in STAR_STEPS}
    if n == 0:
        return PreferenceProfile(user_id, 0, None, community_mean=community.mean, distribution=distribution)
    total = math.fsum(f.stars for f in films)
    mu = total / n
    # field -> feature -> [count, sum of stars]; sums of half steps are exact in float64.
    acc: dict[str, dict[str, list[float]]] = {name: {} for name in FIELDS}
    genre_counts: Counter[str] = Counter()
    star_counts: Counter[float] = Counter()
    year_counts: Counter[tuple[int, float]] = Counter()
    for film in films:
        stars = film.stars
        star_counts[stars] += 1
        genres = set(film.genres)
        genre_counts.update(genres)
        for name, feats in (("genres", genres), ("directors", set(film.directors)), ("actors", set(film.actors))):
            table = acc[name]
            for feat in feats:
                entry = table.get(feat)
                if entry is None:
                    table[feat] = [1, stars]
                else:
                    entry[0] += 1
                    entry[1] += stars
        if film.year:
            year_counts[(film.year, stars)] += 1
    for (year, stars), count in year_counts.items():
        entry = acc["decades"].setdefault(f"{int(year) // 10 * 10}s", [0, 0.0])
        entry[0] += count
        entry[1] += stars * count
    for stars, count in star_counts.items():
        distribution[f"{stars:g}"] += count

    def ranked(name: str) -> list[FeatureScore]:
        scored = []
        for feat, (k, sum_f) in acc[name].items():
            # sum(s - mu) / (k + SHRINKAGE), as one division of exact numbers (stars are half
            # steps): equal significances are then equal floats, so ties break by n and name
            # as defined, not by rounding noise, and batch pipelines get the same bits.
            sig = (n * sum_f - k * total) / (n * (k + SHRINKAGE))
            if sig > 1e-12:
                scored.append((-sig, -k, feat, sum_f))
        best = heapq.nsmallest(top_n, scored)
        return [FeatureScore(feat, int(-negk), sum_f / -negk, -negsig) for negsig, negk, feat, sum_f in best]

    if community.std > 0:
        delta = (mu - community.mean) / community.std
    else:
        delta = 0.0
    style = "generous" if delta > STYLE_BAND else "harsh" if delta < -STYLE_BAND else "balanced"
    return PreferenceProfile(
        user_id=user_id,
        n_ratings=n,
        mean_rating=mu,
        genres=ranked("genres"),
        directors=ranked("directors"),
        actors=ranked("actors"),
        decades=ranked("decades"),
        style=style,
        style_delta=delta,
        community_mean=community.mean,
        diversity=diversity(genre_counts, community.n_genres),
        distribution=distribution,
    )


def _analyse_weighted(
    user_id: int, films: list[RatedFilm], community: CommunityStats, top_n: int, half_life_days: float
) -> PreferenceProfile:
    """``analyse`` with each rating weighted by its age (see the module docstring); what does
    not depend on the favourites comes from the unweighted analysis."""
    base = _analyse(user_id, films, community, top_n)
    latest = max(float(f.at or 0.0) for f in films)
    weights = [age_weight(latest - float(f.at or 0.0), half_life_days) for f in films]
    mu = math.fsum(f.stars for f in films) / len(films)  # the rating scale: every rating alike
    acc: dict[str, dict[str, list[float]]] = {name: {} for name in FIELDS}
    for w, film in zip(weights, films):
        decade = decade_of(film.year)
        for name, feats in (
            ("genres", set(film.genres)),
            ("directors", set(film.directors)),
            ("actors", set(film.actors)),
            ("decades", {decade} if decade else set()),
        ):
            table = acc[name]
            for feat in feats:
                entry = table.setdefault(feat, [0.0, 0.0, 0.0])  # count, sum w, sum w * stars
                entry[0] += 1
                entry[1] += w
                entry[2] += w * film.stars

    def ranked(name: str) -> list[FeatureScore]:
        scored = []
        for feat, (k, sum_w, sum_ws) in acc[name].items():
            sig = (sum_ws - mu * sum_w) / (sum_w + SHRINKAGE)
            if sig > 1e-12:
                scored.append((-sig, -k, feat, sum_ws / sum_w))
        best = heapq.nsmallest(top_n, scored)
        return [FeatureScore(feat, int(-negk), mean, -negsig) for negsig, negk, feat, mean in best]

    for name in FIELDS:
        setattr(base, name, ranked(name))
    base.half_life_days = float(half_life_days)
    return base


def diversity(genre_counts: Counter[str], n_genres: int) -> float:
    total = sum(genre_counts.values())
    if total == 0 or n_genres <= 1:
        return 0.0
    h = -math.fsum(c / total * math.log(c / total) for c in genre_counts.values() if c)
    return max(0.0, min(1.0, h / math.log(n_genres)))
