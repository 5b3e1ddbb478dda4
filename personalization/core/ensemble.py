"""The blend every recommendation comes from, and how each user's weights are learned (pure).

Terms ("experts"): the content-based ``personal`` term (the user's taste vector against each
film's content vector) and the collaborative base models (popularity, item-kNN, EASE, ALS).
Each term's scores over the candidates are scaled the same way (``normalise``), then

    final = w_personal * personal + (1 - w_personal) * sum_m a_m * base_m        (sum a_m = 1)

``w_personal`` is the user's ``blend_weight``, ``a`` their ``model_weights``; both start at the
tuned global values and are learned online from the user's own ratings (``hedge_update``): when
the user rates a film >= 4 stars, every term is credited by how high *it alone* had ranked that
film before the rating, and the weights move multiplicatively towards the terms that got it right
(Hedge / multiplicative weights), mixed back towards the global prior so they never collapse.

``Scorer`` holds the catalogue and the base models and is what both ``Service.recommend`` and the
replay call: the numbers the replay prints describe the product.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from personalization.core.base_models import BaseModel
from personalization.core.catalogue import Catalogue
from personalization.config import ModelSettings
from personalization.core.ranker import ScoredFilm, Ranking, top_k

__all__ = ["PERSONAL", "UserWeights", "prior_weights", "normalise", "blend", "rank_of",
           "hedge_update", "learn_weights", "Scorer", "make_base_models"]

PERSONAL = "personal"


@dataclass(frozen=True)
class UserWeights:
    """A user's blend: the personal term's weight and the base models' weights (sum 1)."""

    blend_weight: float
    model_weights: Mapping[str, float] = field(default_factory=dict)

    def experts(self) -> dict[str, float]:
        """All terms as one distribution: personal = w, model m = (1 - w) a_m."""
        out = {PERSONAL: self.blend_weight}
        out.update({m: (1.0 - self.blend_weight) * a for m, a in self.model_weights.items()})
        return out

    @classmethod
    def from_experts(cls, experts: Mapping[str, float]) -> "UserWeights":
        w = float(experts.get(PERSONAL, 0.0))
        rest = {m: float(v) for m, v in experts.items() if m != PERSONAL}
        total = sum(rest.values())
        models = {m: v / total for m, v in rest.items()} if total > 0 else rest
        return cls(min(1.0, max(0.0, w)), models)

    def to_dict(self) -> dict:
        return {"blend_weight": self.blend_weight, "model_weights": dict(self.model_weights)}


def prior_weights(settings: ModelSettings) -> UserWeights:
    """The global (tuned) starting weights from the settings."""
    models = {m: float(a) for m, a in settings.model_weights.items() if a > 0}
    total = sum(models.values())
    return UserWeights(settings.blend_weight, {m: a / total for m, a in models.items()} if total else {})


def normalise(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Scale a term's scores so terms can be added: divide by the largest over the candidates
    after shifting the smallest to 0 (``minmax``). A constant term contributes nothing."""
    x = np.asarray(scores)
    sel = x if mask is None else x[mask]   # min/max in the scores' own dtype: the same values
    if sel.size == 0 or x.dtype.kind not in "fiub":
        x = np.asarray(scores, dtype=np.float64)
        sel = x if mask is None else x[mask]
    if sel.size == 0:
        return np.zeros(x.shape, np.float64)
    lo, hi = float(sel.min()), float(sel.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.zeros(x.shape, np.float64)
    out = np.subtract(x, lo, dtype=np.float64)   # one float64 array, no intermediate copies
    out *= 1.0 / (hi - lo)
    return out


def blend(terms: Mapping[str, np.ndarray], weights: UserWeights, mask: np.ndarray | None = None,
          personalised: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(final, personal part, base part), each over the same positions as the terms."""
    any_term = next(iter(terms.values()))
    base = np.zeros(len(any_term), np.float64)
    for m, a in weights.model_weights.items():
        if a > 0 and m in terms:
            part = normalise(terms[m], mask)
            part *= a
            base += part
    if not personalised or PERSONAL not in terms or weights.blend_weight <= 0:
        return base, np.zeros_like(base), base
    personal = normalise(terms[PERSONAL], mask)
    w = weights.blend_weight
    return w * personal + (1.0 - w) * base, personal, base


def rank_of(scores: np.ndarray, ids: np.ndarray, target: int, mask: np.ndarray) -> int:
    """1-based rank of the film at position ``target`` among ``mask`` (ties: lower id first).
    Equal to its place in ``ranker.top_k``'s order, in one pass instead of a sort."""
    t = scores[target]
    better = (scores > t) | ((scores == t) & (ids < ids[target]))
    return int(np.count_nonzero(better & mask)) + 1


def reward(rank: int) -> float:
    """Credit for having ranked the film at ``rank`` (1 = top): the NDCG gain, 1/log2(rank+1)."""
    return 1.0 / math.log2(rank + 1.0)


def hedge_update(weights: UserWeights, ranks: Mapping[str, int], prior: UserWeights, *,
                 rate: float, share: float) -> UserWeights:
    """One multiplicative-weights step from the ranks each term gave the film just rated well.

    ``w_m <- w_m * exp(rate * (reward_m - mean reward))``, renormalised, then mixed with the
    prior: ``(1 - share) * w + share * prior`` (so a term that lost for a while can come back).
    """
    experts = weights.experts()
    base_prior = prior.experts()
    names = [m for m in experts if m in ranks]
    if not names:
        return weights
    gains = {m: reward(ranks[m]) for m in names}
    mean = sum(gains.values()) / len(gains)
    new = {m: experts[m] * math.exp(rate * (gains[m] - mean)) if m in gains else experts[m]
           for m in experts}
    total = sum(new.values()) or 1.0
    mixed = {m: (1.0 - share) * v / total + share * base_prior.get(m, 0.0) for m, v in new.items()}
    return UserWeights.from_experts(mixed)


def learn_weights(terms: Mapping[str, np.ndarray], ids: np.ndarray, target: int, mask: np.ndarray,
                  weights: UserWeights, prior: UserWeights, settings: ModelSettings) -> UserWeights:
    """One learning step of a user's weights from the terms' scores before a rating >= 4 stars
    of the film at catalogue position ``target`` (what the service and the replay both run)."""
    experts = weights.experts()
    ranks = {m: rank_of(sc, ids, target, mask) for m, sc in terms.items() if m in experts}
    return hedge_update(weights, ranks, prior, rate=settings.ensemble_rate, share=settings.ensemble_share)


def make_base_models(settings: ModelSettings, names: Sequence[str] | None = None) -> dict[str, BaseModel]:
    """The base models named in the settings' weights (or ``names``), built with its parameters."""
    from personalization.core.base_models import make_base_model

    names = list(names) if names is not None else [m for m, a in settings.model_weights.items() if a > 0]
    params = {
        "popularity": {},
        "trending": {"half_life": settings.trending_half_life},
        "itemknn": {"neighbours": settings.knn_neighbours, "recency_half_life": settings.recency_half_life,
                    "refit_every": settings.refit_every},
        "ease": {"l2": settings.ease_l2, "recency_half_life": settings.recency_half_life,
                 "refit_every": settings.refit_every, "max_items": settings.ease_max_items},
        "als": {"factors": settings.als_factors, "regularization": settings.als_regularization,
                "alpha": settings.als_alpha, "refit_every": settings.refit_every},
    }
    from personalization.core.base_models.trending import CachedPopularity

    return {m: CachedPopularity() if m == "popularity" else make_base_model(m, **params.get(m, {}))
            for m in names if m != PERSONAL}


class ContentScores:
    """``matrix @ vector`` (the personal term), computed once per *distinct* content row.

    Many films share their content vector (same genres, no tags: 9,066 MovieLens films have
    2,116 distinct rows), and the product is memory-bound, so multiplying the distinct rows and
    spreading the results is about 4x cheaper. The result must be bit-for-bit the full product
    (rankings break ties exactly): BLAS computes rows in blocks of 4 with the same arithmetic
    and the last ``n % 4`` rows with another, so the distinct rows are padded to whole blocks and
    the tail is computed as the full product computes it. Checked once on random vectors at
    build time; any mismatch (another BLAS kernel) falls back to the plain product.
    """

    block = 4
    max_share = 0.75   # more distinct rows than this share: nothing to gain

    def __init__(self, matrix: np.ndarray):
        self.matrix = matrix
        self.unique = None
        n = len(matrix)
        if matrix.dtype != np.float32 or matrix.ndim != 2 or n < 4 * self.block:
            return
        rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
        if len(rows) > self.max_share * n:
            return
        padded = np.zeros((-(-len(rows) // self.block) * self.block, matrix.shape[1]), np.float32)
        padded[:len(rows)] = rows
        self.tail = n % self.block
        self.unique, self.inverse = padded, inverse.ravel()
        self.tail_rows = matrix[n - self.block - self.tail:]
        check = np.random.default_rng(0).standard_normal((3, matrix.shape[1])).astype(np.float32)
        if not all(np.array_equal(self(v), matrix @ v) for v in check):
            self.unique = None

    def __call__(self, vector: np.ndarray) -> np.ndarray:
        if self.unique is None or vector.dtype != np.float32:
            return self.matrix @ vector
        out = (self.unique @ vector)[self.inverse]
        if self.tail:
            out[len(out) - self.tail:] = (self.tail_rows @ vector)[-self.tail:]
        return out


class Scorer:
    """Scores every catalogue film for one user: the terms, then the blend (pure, in memory).

    The service keeps one per process (refitting the collaborative models in the background);
    the replay keeps one for the whole stream.
    """

    def __init__(self, catalogue: Catalogue, models: Mapping[str, BaseModel], settings: ModelSettings):
        self.catalogue, self.models, self.settings = catalogue, dict(models), settings
        self._content: ContentScores | None = None

    def content_scores(self, vector: np.ndarray) -> np.ndarray:
        """The personal term's raw scores: every film's content vector against ``vector``."""
        content = self._content
        if content is None or content.matrix is not self.catalogue.matrix:
            content = self._content = ContentScores(self.catalogue.matrix)
        return content(vector)

    def terms(self, history: Mapping[int, float], vector: np.ndarray | None,
              names: Sequence[str] | None = None, user=None) -> dict[str, np.ndarray]:
        """Raw scores of each term over the whole catalogue (positions of ``catalogue.ids``).
        ``user`` lets models that keep running per-user scores update them incrementally."""
        ids = self.catalogue.ids
        out = {}
        for name in names if names is not None else [*self.models, PERSONAL]:
            if name == PERSONAL:
                if vector is not None and np.any(vector):
                    out[PERSONAL] = self.content_scores(vector)
            elif hasattr(self.models[name], "running"):
                out[name] = self.models[name].score(history, ids, user=user)
            else:
                out[name] = self.models[name].score(history, ids)
        return out

    def learn_one(self, user: int, film: int, stars: float, *, background: bool = True) -> None:
        """Feed one rating to every base model; refit the ones that are due, in a background
        thread (``background``) so no request waits for a refit, or at once."""
        for model in self.models.values():
            model.learn_one(user, film, stars)
            if getattr(model, "stale", False):
                if not background:
                    model.refit()
                elif not model._refit_lock.locked():
                    threading.Thread(target=model.refit, name=f"refit-{model.name}", daemon=True).start()

    @property
    def label(self) -> str:
        """What the base part is made of, e.g. ``itemknn+ease+sequence``."""
        return "+".join(self.models) or "none"

    def personalised(self, n_ratings: int, vector: np.ndarray | None) -> bool:
        return n_ratings >= self.settings.min_ratings and vector is not None and bool(np.any(vector))

    def rank(self, history: Mapping[int, float], vector: np.ndarray | None, weights: UserWeights, *,
             mask: np.ndarray, k: int, n_ratings: int, user=None) -> Ranking:
        """The top-k films among ``mask`` (a boolean array over the catalogue)."""
        personalised = self.personalised(n_ratings, vector)
        terms = self.terms(history, vector if personalised else None, user=user)
        final, personal, base = blend(terms, weights, mask, personalised)
        cand = np.flatnonzero(mask)
        best = cand[top_k(final[cand], self.catalogue.ids[cand], k)]
        items = [ScoredFilm(int(self.catalogue.ids[i]), float(final[i]), float(personal[i]), float(base[i]))
                 for i in best]
        mode = "personal" if personalised else "base"
        return Ranking(items, mode, weights.blend_weight if personalised else 0.0, self.label)

    def updated_weights(self, history: Mapping[int, float], vector: np.ndarray | None, n_ratings: int,
                        film_id: int, weights: UserWeights, *, mask: np.ndarray, user=None) -> UserWeights | None:
        """The user's weights after they rated ``film_id`` highly, or None when there is nothing
        to learn (too few earlier ratings, or a film outside the catalogue). ``history``,
        ``vector`` and ``mask`` describe the user *before* this rating."""
        pos = self.catalogue.position(film_id)
        if pos is None or n_ratings < self.settings.min_ratings or self.settings.ensemble_rate <= 0:
            return None
        personalised = self.personalised(n_ratings, vector)
        terms = self.terms(history, vector if personalised else None, user=user)
        return learn_weights(terms, self.catalogue.ids, pos, mask, weights, prior_weights(self.settings),
                             self.settings)

    def term_ranks(self, terms: Mapping[str, np.ndarray], target: int, mask: np.ndarray) -> dict[str, int]:
        """Where each term alone ranked the catalogue position ``target`` (for ``hedge_update``)."""
        ids = self.catalogue.ids
        return {m: rank_of(s, ids, target, mask) for m, s in terms.items()}
