"""Watch parties: one list for several people, from each member's predicted liking (pure).

**The scale.** A member's *liking* of a film is predicted stars, 0.5 to 5. It comes from the
score the personal term of their ranking gives the film (their taste vector against the film's
vector, what ``recommend`` blends in), mapped to stars by a line fitted to their own signals:
the stars they gave (feedback counts as its stars: love 5, like 4, dislike 2, hate 1) against
the score of those films (``calibrate``). The fit is shrunk towards their mean rating, so few or
inconsistent signals give cautious predictions. A member without a taste yet (no signal with a
direction) is predicted their mean (3 stars without any rating) for every film.

**The thresholds.** A member is predicted to *hate* a film below ``HATE_STARS`` (2 stars, a
dislike) and to *like* it from ``LIKE_STARS`` (3.5 stars).

**The strategies** turn the members' likings of a film into the group's score:

- ``average``: the members' mean liking. A film one member loves and another hates can win.
- ``least_misery``: the least happy member's liking (then the mean). A film any member is
  predicted to hate is never proposed, even when fewer than k films are left.
- ``approval``: how many members are predicted to like it (then the mean): a film everybody
  likes a bit beats one that half the group adores.

Ties: group scores rounded to ``SCORE_DECIMALS`` places, then the mean liking, then the lower
film id, so the same inputs always give the same list.

>>> likings = np.array([[5.0, 3.6, 3.0], [5.0, 3.6, 3.0], [1.5, 3.6, 4.4]])  # 3 members x 3 films
>>> {s: rank(likings, np.array([10, 11, 12]), s, 3).tolist() for s in STRATEGIES}
{'average': [0, 1, 2], 'least_misery': [1, 2], 'approval': [1, 0, 2]}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.errors import CineSyncError

__all__ = [
    "STRATEGIES",
    "HATE_STARS",
    "LIKE_STARS",
    "MIN_STARS",
    "MAX_STARS",
    "Calibration",
    "calibrate",
    "check_strategy",
    "group_scores",
    "rank",
]

STRATEGIES = ("average", "least_misery", "approval")
MIN_STARS, MAX_STARS = 0.5, 5.0
HATE_STARS = 2.0  # predicted below this: the member would hate it
LIKE_STARS = 3.5  # predicted at least this: the member would like it
NEUTRAL_STARS = 3.0  # a member without ratings
SCORE_DECIMALS = 6
SHRINK = 2.0  # pseudo-signals at the member's mean score: few signals, a flatter line


@dataclass(frozen=True)
class Calibration:
    """``stars = mean + slope * (score - center)``, clipped to 0.5-5."""

    mean: float
    slope: float = 0.0
    center: float = 0.0

    def stars(self, scores: NDArray[np.floating]) -> NDArray[np.float64]:
        out = self.mean + self.slope * (np.asarray(scores, np.float64) - self.center)
        return np.asarray(np.clip(out, MIN_STARS, MAX_STARS), np.float64)

    @property
    def personal(self) -> bool:
        """Whether the prediction depends on the film (False: the member's mean for every film)."""
        return self.slope > 0


def calibrate(
    scores: Sequence[float] | NDArray[np.floating], stars: Sequence[float] | NDArray[np.floating]
) -> Calibration:
    """Fit stars against the personal term's scores of the films a member rated (least squares,
    shrunk by ``SHRINK`` pseudo-signals at their mean score). A line that falls (higher score,
    fewer stars: the taste vector has not caught up) is treated as flat.

    >>> c = calibrate([0.8, 0.6, -0.5, -0.7], [5, 4.5, 1.5, 1])
    >>> [round(float(x), 2) for x in c.stars(np.array([0.7, 0.0, -0.6]))]
    [4.16, 2.91, 1.84]
    """
    x = np.asarray(scores, np.float64)
    y = np.asarray(stars, np.float64)
    if len(y) == 0:
        return Calibration(NEUTRAL_STARS)
    mean = float(y.mean())
    if len(y) < 2:
        return Calibration(mean)
    center = float(x.mean())
    dx = x - center
    spread = float(dx @ dx)
    if spread <= 1e-12:
        return Calibration(mean)
    # the shrinkage: SHRINK pseudo-signals of the average spread that carry no slope
    slope = float(dx @ (y - mean)) / (spread * (1.0 + SHRINK / len(y)))
    return Calibration(mean, max(slope, 0.0), center)


def check_strategy(name: Any) -> str:
    """One of ``STRATEGIES`` (any case, ``-`` for ``_``); anything else is an error listing them."""
    known = ", ".join(STRATEGIES)
    if not isinstance(name, str):
        raise CineSyncError(f"a strategy is one of: {known}; got {name!r}")
    wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
    if wanted not in STRATEGIES:
        raise CineSyncError(f"unknown strategy {name!r}; the known strategies: {known}")
    return wanted


def group_scores(likings: NDArray[np.floating], strategy: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(the group's score of each film, which films may be proposed) for ``likings``, an array
    of members x films in predicted stars."""
    strategy = check_strategy(strategy)
    x = np.asarray(likings, np.float64)
    allowed = np.ones(x.shape[1], dtype=bool)
    if strategy == "average":
        return x.mean(axis=0), allowed
    if strategy == "least_misery":
        low = x.min(axis=0)
        return low, low >= HATE_STARS
    return (x >= LIKE_STARS).sum(axis=0).astype(np.float64), allowed


def rank(likings: NDArray[np.floating], film_ids: NDArray[np.int64], strategy: str, k: int) -> NDArray[np.int64]:
    """Positions (columns of ``likings``) of the group's k best films, best first."""
    scores, allowed = group_scores(likings, strategy)
    mean = np.asarray(likings, np.float64).mean(axis=0)
    cand = np.flatnonzero(allowed)
    order = np.lexsort(
        (
            np.asarray(film_ids)[cand],
            -np.round(mean[cand], SCORE_DECIMALS),
            -np.round(scores[cand], SCORE_DECIMALS),
        )
    )
    return np.asarray(cand[order[: max(k, 0)]], np.int64)
