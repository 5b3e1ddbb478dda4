"""Taste drift: does a user's recent taste depart from their long-term one? (pure, no I/O)

Definitions (docs/time_and_drift.md):

* The user's ratings in time order are cut in two: the *recent* window, their last ``RECENT``
  (10) ratings, and the *long term*, every rating before it. Fewer than ``RECENT`` ratings on
  either side: no verdict (``status`` ``"unknown"``).
* ``divergence``: the Jensen-Shannon divergence, base 2 (0 = the same, 1 = nothing in common),
  between the genre distributions of the two parts: what they watch. Each film spreads one unit
  over its genres; a film without genres counts as the genre ``"(none)"``.
* ``cosine``: the cosine between a recent and a long-term taste vector: what they like. A taste
  vector sums each film's vector (its genres, one unit spread over them, or a given content
  vector) times ``stars - the user's mean``; None when either side is all zeros (every rating at
  the user's mean).
* ``drifting`` when ``divergence >= JS_DRIFT`` *and* ``cosine < COSINE_DRIFT`` (or cosine is
  None): both what they watch and what they like moved. The thresholds were chosen on the
  MovieLens sample (``benchmarks/time_study.py --data calibration``, docs/time_and_drift.md): a
  user's last 10 ratings differ from their history by chance (median divergence 0.12 with the
  history shuffled, 0.155 in time order), and a 10-rating taste vector is noisy (median cosine
  0.15 shuffled). With 0.3 / 0.3, 0.7 % of shuffled histories (stable by construction) are
  flagged, and 6.7 % of real ones.

>>> old = [(("Comedy",), 5.0), (("Comedy", "Romance"), 4.0), (("Drama",), 2.0)] * 5
>>> new = [(("Horror",), 5.0), (("Horror", "Thriller"), 5.0), (("Comedy",), 1.0)] * 4
>>> detect(old + new).status, detect(old + old).status, detect(old).status
('drifting', 'stable', 'unknown')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Drift",
    "detect",
    "genre_distribution",
    "jensen_shannon",
    "cosine",
    "taste_vector",
    "RECENT",
    "JS_DRIFT",
    "COSINE_DRIFT",
    "NO_GENRE",
    "summary",
]

RECENT = 10
JS_DRIFT = 0.3
COSINE_DRIFT = 0.3
NO_GENRE = "(none)"
TOP_RISING = 3


@dataclass(frozen=True)
class Drift:
    """The verdict and the two measures behind it (see the module docstring)."""

    status: str  # drifting | stable | unknown
    divergence: float | None = None
    cosine: float | None = None
    recent_n: int = 0
    long_term_n: int = 0
    rising: list[str] = field(default_factory=list)  # genres gaining most share recently
    fading: list[str] = field(default_factory=list)  # genres losing most share recently

    @property
    def drifting(self) -> bool:
        return self.status == "drifting"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Drift:
        return cls(**dict(data))

    def describe(self) -> str:
        """One line for people: the verdict and its measures."""
        if self.status == "unknown":
            return f"unknown (needs {RECENT} recent ratings and {RECENT} before them)"
        cos = "n/a" if self.cosine is None else f"{self.cosine:.2f}"
        line = f"{self.status} (genre divergence {self.divergence:.2f}, taste cosine {cos})"
        if self.drifting and self.rising:
            line += f": towards {', '.join(self.rising)}"
        return line


def genre_distribution(genre_lists: Iterable[Sequence[str]]) -> dict[str, float]:
    """Each film spreads one unit over its genres; shares sum to 1 (empty input: {})."""
    acc: dict[str, float] = {}
    for genres in genre_lists:
        names = list(dict.fromkeys(genres)) or [NO_GENRE]
        share = 1.0 / len(names)
        for g in names:
            acc[g] = acc.get(g, 0.0) + share
    total = math.fsum(acc.values())
    return {g: v / total for g, v in acc.items()} if total > 0 else {}


def jensen_shannon(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """JS divergence in bits between two distributions given as {key: share}: in [0, 1]."""
    keys = set(p) | set(q)
    total = 0.0
    for k in keys:
        a, b = p.get(k, 0.0), q.get(k, 0.0)
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log2(a / m)
        if b > 0:
            total += 0.5 * b * math.log2(b / m)
    return min(1.0, max(0.0, total))


def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cosine of two vectors; None when either is zero (or not finite)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if not (na > 0 and nb > 0 and math.isfinite(na) and math.isfinite(nb)):
        return None
    return max(-1.0, min(1.0, float(np.dot(a, b)) / (na * nb)))


def taste_vector(
    genre_lists: Sequence[Sequence[str]], deltas: Sequence[float], vocabulary: Mapping[str, int]
) -> np.ndarray:
    """Sum of each film's genre vector (one unit over its genres) times its ``delta``."""
    out = np.zeros(len(vocabulary))
    for genres, d in zip(genre_lists, deltas):
        names = list(dict.fromkeys(genres)) or [NO_GENRE]
        for g in names:
            out[vocabulary[g]] += d / len(names)
    return out


def detect(
    films: Sequence[tuple[Sequence[str], float]],
    *,
    recent: int = RECENT,
    vectors: Sequence[np.ndarray] | None = None,
) -> Drift:
    """Drift of a user from ``(genres, stars)`` per rating, oldest first. ``vectors`` (one per
    rating, e.g. content vectors) replace the genre vectors in the cosine when given."""
    n = len(films)
    if recent < 1 or n < 2 * recent:
        return Drift("unknown", recent_n=min(n, max(recent, 0)), long_term_n=max(0, n - max(recent, 0)))
    old, new = films[: n - recent], films[n - recent :]
    p_old = genre_distribution(g for g, _ in old)
    p_new = genre_distribution(g for g, _ in new)
    divergence = jensen_shannon(p_new, p_old)
    mu = math.fsum(s for _, s in films) / n
    deltas = [s - mu for _, s in films]
    if vectors is not None:
        mat = np.asarray(vectors, dtype=np.float64)
        d = np.asarray(deltas)[:, None]
        v_old, v_new = (mat[: n - recent] * d[: n - recent]).sum(0), (mat[n - recent :] * d[n - recent :]).sum(0)
    else:
        vocab = {g: i for i, g in enumerate(sorted(set(p_old) | set(p_new)))}
        v_old = taste_vector([g for g, _ in old], deltas[: n - recent], vocab)
        v_new = taste_vector([g for g, _ in new], deltas[n - recent :], vocab)
    cos = cosine(v_new, v_old)
    drifting = divergence >= JS_DRIFT and (cos is None or cos < COSINE_DRIFT)
    change = {g: p_new.get(g, 0.0) - p_old.get(g, 0.0) for g in set(p_old) | set(p_new)}
    rising = [g for g, c in sorted(change.items(), key=lambda x: (-x[1], x[0])) if c > 0][:TOP_RISING]
    fading = [g for g, c in sorted(change.items(), key=lambda x: (x[1], x[0])) if c < 0][:TOP_RISING]
    return Drift(
        "drifting" if drifting else "stable",
        round(divergence, 6),
        None if cos is None else round(cos, 6),
        recent,
        n - recent,
        rising,
        fading,
    )


def summary(d: Drift | None) -> str:
    """The drift line every front-end shows (profile CLI, /my_stats, the dashboard)."""
    if d is None:
        return "not measured (the times of the ratings were not read)"
    if d.status == "unknown":
        return f"not enough ratings yet (needs {2 * RECENT}: the last {RECENT} against the ones before)"
    cos = "n/a" if d.cosine is None else f"{d.cosine:.2f}"
    measures = f"genre divergence {d.divergence:.2f}, taste cosine {cos}"
    if d.drifting:
        towards = f" towards {', '.join(d.rising)}" if d.rising else ""
        return f"drifting{towards}: the last {d.recent_n} ratings depart from the {d.long_term_n} before ({measures})"
    return f"stable: the last {d.recent_n} ratings match the {d.long_term_n} before ({measures})"
