"""The learned re-ranker inside the replay (model ``learned``): trained on the past only.

Every eligible event whose film is in the blend's shortlist becomes a training group (that film
the positive, a sample of the shortlist the negatives), built from the state before the event's
second. The ranker is retrained between seconds, on the latest ``max_groups`` groups, after
``min_groups`` new ones at first, then after half again as many as it was trained on, at most
every ``retrain_every``; an evaluated event is re-ranked by the ranker trained on the events before it
(until the first training, the blend's own order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from personalization.core.catalogue import Catalogue
from personalization.core.ensemble import normalise
from personalization.core.learned_ranker import SHORTLIST, FeatureBuilder, LearnedRanker, UserStats
from personalization.core.ranker import rank_of, rounded, top_k

__all__ = ["LearnedRerank", "LEARNED"]

LEARNED = "learned"


class LearnedRerank:
    def __init__(
        self,
        catalogue: Catalogue,
        terms: Sequence[str],
        *,
        retrain_every: int = 4000,
        min_groups: int = 200,
        max_groups: int = 3000,
        seed: int = 7,
    ):
        self.catalogue = catalogue
        genres = catalogue.genres()
        g = np.column_stack([catalogue.genre_mask(x) for x in genres]) if genres else np.zeros((len(catalogue), 0))
        years = np.array([f.year if f.year else np.nan for f in catalogue.films], np.float64)
        self.genres = np.asarray(g, np.float64)
        self.builder = FeatureBuilder(terms, g, years)
        self.ranker = LearnedRanker(self.builder.names, seed=seed)
        self.users: defaultdict[int, UserStats] = defaultdict(UserStats)
        self.retrain_every, self.max_groups, self.min_groups = retrain_every, max_groups, min_groups
        self.rows: list[NDArray[np.float64]] = []  # one block per group, the positive first
        self.new_groups = 0
        self.trainings = 0

    def _shortlist(self, final: NDArray[np.floating], mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        cand = np.flatnonzero(mask)
        ids = self.catalogue.ids
        return np.asarray(cand[top_k(final[cand], ids[cand], SHORTLIST)], np.int64)

    def _normalised(self, terms: Mapping[str, NDArray[np.floating]], mask: NDArray[np.bool_]) -> dict:
        return {t: normalise(terms[t], mask) for t in self.builder.terms if t in terms}

    def collect(
        self,
        u: int,
        p: int,
        terms: Mapping[str, NDArray[np.floating]],
        final: NDArray[np.floating],
        mask: NDArray[np.bool_],
        counts: NDArray[np.int64],
        time: float | None,
    ) -> None:
        """A training group from an eligible event (film at position ``p``), if it is shortlisted."""
        short = self._shortlist(final, mask)
        where = np.flatnonzero(short == p)
        if len(where) == 0:
            return
        # the whole shortlist, the positive first: trained on what it will re-rank
        rows = self.builder.rows(short, self._normalised(terms, mask), final, counts, self.users[u], time)
        rows = rows[np.concatenate([where[:1], np.delete(np.arange(len(short)), where[0])])]
        self.rows.append(rows)
        self.new_groups += 1

    def rank(
        self,
        u: int,
        p: int,
        terms: Mapping[str, NDArray[np.floating]],
        final: NDArray[np.floating],
        mask: NDArray[np.bool_],
        counts: NDArray[np.int64],
        time: float | None,
    ) -> tuple[int, NDArray[np.int64]]:
        """The film's rank after re-ranking, and the top 10 picks (catalogue positions)."""
        ids = self.catalogue.ids
        short = self._shortlist(final, mask)
        if not self.ranker.fitted:
            return rank_of(final, ids, p, mask), short[:10]
        rows = self.builder.rows(short, self._normalised(terms, mask), final, counts, self.users[u], time)
        score = rounded(self.ranker.score(rows))
        order = np.lexsort((ids[short], -score))
        picks = short[order]
        where = np.flatnonzero(picks == p)
        rank = int(where[0]) + 1 if len(where) else rank_of(final, ids, p, mask)
        return rank, picks[:10]

    def learn_one(self, u: int, p: int, stars: float, time: float | None) -> None:
        self.users[u].learn_one(stars, time, self.genres[p])

    def maybe_retrain(self) -> None:
        """Retrain on the latest groups when enough new ones came in (call between seconds)."""
        due = min(self.retrain_every, max(self.min_groups, self.ranker.trained_on // 2))
        if self.new_groups < due:  # a young stream retrains often, a grown one every retrain_every
            return
        groups = self.rows[-self.max_groups :]
        self.rows = groups
        x = np.vstack(groups)
        labels = np.zeros(len(x), np.int64)
        starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
        labels[starts] = 1
        self.ranker.fit(x, labels, [len(g) for g in groups])
        self.new_groups = 0
        self.trainings += 1
