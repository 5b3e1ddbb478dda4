"""The blend every recommendation comes from, and how each user's weights are learned (pure).

The blend's **terms** are the content-based **personal term** (the user's taste vector against
each film's content vector) and one term per **base model** (popularity, item-kNN, EASE, ALS,
...). Each term's scores over the candidates are scaled the same way (``normalise``), then

    final = p * personal + (1 - p) * sum_m b_m * base_m        (sum b_m = 1)

``p`` is the user's **personal weight**, ``b`` their **base weights** (``UserWeights``); both
start at the tuned global values (``prior_weights``) and are learned online from the user's
own ratings (``hedge_update``): when the user rates a film >= 4 stars, every term is credited
by how high *it alone* had ranked that film before the rating, and the weights move
multiplicatively towards the terms that got it right (Hedge / multiplicative weights), mixed
back towards the prior so they never collapse.

``Scorer`` holds the catalogue and the base models and is what both ``Service.recommend`` and the
replay call: the numbers the replay prints describe the product.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from personalization.config import ModelSettings
from personalization.core.base_models import BaseModel
from personalization.core.base_models.base import FloatArray
from personalization.core.base_models.registry import spec
from personalization.core.catalogue import Catalogue
from personalization.core.item_vectors import ItemVectors
from personalization.core.ranker import Ranking, ScoredFilm, rank_of, top_k

__all__ = [
    "PERSONAL",
    "UserWeights",
    "prior_weights",
    "normalise",
    "blend",
    "rank_of",
    "hedge_update",
    "learn_weights",
    "Scorer",
    "ContentScores",
    "make_base_models",
    "make_item_vectors",
]

PERSONAL = "personal"  # the personal term's name among the terms

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class UserWeights:
    """A user's blend: the personal weight and the base weights (sum 1 over the base models)."""

    personal_weight: float
    base_weights: Mapping[str, float] = field(default_factory=dict)

    def term_weights(self) -> dict[str, float]:
        """Every term's share of the blend, summing to 1: personal = p, model m = (1 - p) b_m."""
        out = {PERSONAL: self.personal_weight}
        out.update({m: (1.0 - self.personal_weight) * b for m, b in self.base_weights.items()})
        return out

    @classmethod
    def from_term_weights(cls, shares: Mapping[str, float]) -> UserWeights:
        """The inverse of ``term_weights`` (base shares renormalised, personal clipped to [0, 1])."""
        p = float(shares.get(PERSONAL, 0.0))
        rest = {m: float(v) for m, v in shares.items() if m != PERSONAL}
        total = sum(rest.values())
        base = {m: v / total for m, v in rest.items()} if total > 0 else rest
        return cls(min(1.0, max(0.0, p)), base)

    # The names the service and the stored rows used before this glossary (docs/architecture.md).
    @property
    def blend_weight(self) -> float:
        return self.personal_weight

    @property
    def model_weights(self) -> Mapping[str, float]:
        return self.base_weights

    @classmethod
    def from_experts(cls, shares: Mapping[str, float]) -> UserWeights:
        return cls.from_term_weights(shares)


def prior_weights(settings: ModelSettings) -> UserWeights:
    """The global (tuned) starting weights from the settings."""
    base = {m: float(b) for m, b in settings.base_weights.items() if b > 0}
    total = sum(base.values())
    return UserWeights(settings.blend_weight, {m: b / total for m, b in base.items()} if total else {})


def normalise(scores: NDArray[np.floating], mask: BoolArray | None = None) -> FloatArray:
    """Scale a term's scores so terms can be added: shift the smallest over the candidates to 0
    and divide by the range (min-max). A constant term contributes nothing."""
    x = np.asarray(scores)
    sel = x if mask is None else x[mask]  # min/max in the scores' own dtype: the same values
    if sel.size == 0 or x.dtype.kind not in "fiub":
        x = np.asarray(scores, dtype=np.float64)
        sel = x if mask is None else x[mask]
    if sel.size == 0:
        return np.zeros(x.shape, np.float64)
    lo, hi = float(sel.min()), float(sel.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.zeros(x.shape, np.float64)
    out = np.subtract(x, lo, dtype=np.float64)  # one float64 array, no intermediate copies
    out *= 1.0 / (hi - lo)
    return out


def blend(
    terms: Mapping[str, NDArray[np.floating]],
    weights: UserWeights,
    mask: BoolArray | None = None,
    personalised: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(final, personal part, base part), each over the same positions as the terms."""
    any_term = next(iter(terms.values()))
    base = np.zeros(len(any_term), np.float64)
    for m, b in weights.base_weights.items():
        if b > 0 and m in terms:
            part = normalise(terms[m], mask)
            part *= b
            base += part
    if not personalised or PERSONAL not in terms or weights.personal_weight <= 0:
        return base, np.zeros_like(base), base
    personal = normalise(terms[PERSONAL], mask)
    p = weights.personal_weight
    return p * personal + (1.0 - p) * base, personal, base


def reward(rank: int) -> float:
    """Credit for having ranked the film at ``rank`` (1 = top): the NDCG gain, 1/log2(rank+1)."""
    return 1.0 / math.log2(rank + 1.0)


def hedge_update(
    weights: UserWeights, ranks: Mapping[str, int], prior: UserWeights, *, rate: float, share: float
) -> UserWeights:
    """One multiplicative-weights step from the ranks each term gave the film just rated well.

    ``w_t <- w_t * exp(rate * (reward_t - mean reward))`` over the terms' shares, renormalised,
    then mixed with the prior: ``(1 - share) * w + share * prior`` (so a term that lost for a
    while can come back).
    """
    shares = weights.term_weights()
    prior_shares = prior.term_weights()
    names = [t for t in shares if t in ranks]
    if not names:
        return weights
    gains = {t: reward(ranks[t]) for t in names}
    mean = sum(gains.values()) / len(gains)
    new = {t: shares[t] * math.exp(rate * (gains[t] - mean)) if t in gains else shares[t] for t in shares}
    total = sum(new.values()) or 1.0
    mixed = {t: (1.0 - share) * v / total + share * prior_shares.get(t, 0.0) for t, v in new.items()}
    return UserWeights.from_term_weights(mixed)


def learn_weights(
    terms: Mapping[str, NDArray[np.floating]],
    ids: NDArray[np.int64],
    target: int,
    mask: BoolArray,
    weights: UserWeights,
    prior: UserWeights,
    settings: ModelSettings,
) -> UserWeights:
    """One learning step of a user's weights from the terms' scores before a rating >= 4 stars
    of the film at catalogue position ``target`` (what the service and the replay both run)."""
    shares = weights.term_weights()
    ranks = {t: rank_of(sc, ids, target, mask) for t, sc in terms.items() if t in shares}
    return hedge_update(weights, ranks, prior, rate=settings.ensemble_rate, share=settings.ensemble_share)


def make_base_models(settings: ModelSettings, names: Sequence[str] | None = None) -> dict[str, BaseModel]:
    """The base models with a prior weight > 0 in the settings (or those in ``names``), each
    built by its registry entry from the settings."""
    chosen = list(names) if names is not None else [m for m, b in settings.base_weights.items() if b > 0]
    return {m: spec(m).build(settings.base_models) for m in chosen if m != PERSONAL}


def make_item_vectors(catalogue: Catalogue, settings: ModelSettings) -> ItemVectors | None:
    """The personal term's film vectors for ``catalogue`` (collaborative factors, fitted online,
    beside the content), or None when ``settings.film_factors`` is 0: the content vectors alone.
    A serving process builds them from the published state instead (``ItemVectors.from_state``)."""
    if settings.film_factors <= 0:
        return None
    return ItemVectors(catalogue.ids, catalogue.matrix, factors=int(settings.film_factors))


class ContentScores:
    """``matrix @ vector`` (the personal term's raw scores), computed once per *distinct* row.

    Many films share their content vector (same genres, no tags: 9,066 MovieLens films have
    2,116 distinct rows), and the product is memory-bound, so multiplying the distinct rows and
    gathering the results is several times cheaper. Films with the same row get the same score.
    """

    max_share = 0.75  # more distinct rows than this share: nothing to gain

    def __init__(self, matrix: NDArray[np.float32]):
        self.matrix = matrix
        self.unique: NDArray[np.float32] | None = None
        self.inverse: NDArray[np.int64] = np.zeros(0, np.int64)
        if matrix.ndim == 2 and len(matrix):
            rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
            if len(rows) <= self.max_share * len(matrix):
                self.unique, self.inverse = rows, inverse.ravel()

    def __call__(self, vector: NDArray[np.float32]) -> NDArray[np.floating]:
        if self.unique is None:
            return self.matrix @ vector
        return (self.unique @ vector)[self.inverse]


class Scorer:
    """Scores every catalogue film for one user: the terms, then the blend (pure, in memory).

    The service keeps one per process (refitting stale base models in background threads);
    the replay keeps one for the whole stream.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        base_models: Mapping[str, BaseModel],
        settings: ModelSettings,
        *,
        item_vectors: ItemVectors | None = None,
    ):
        self.catalogue = catalogue
        self.base_models = dict(base_models)
        self.settings = settings
        # The films' vectors for the personal term: collaborative + content (``item_vectors``),
        # or the content vectors alone (``catalogue.matrix``, the seed's design) when None.
        self.item_vectors = item_vectors
        self._content: ContentScores | None = None  # built at the first personal score
        self._refits: dict[str, threading.Thread] = {}
        # The base models are not thread-safe: learn_one replaces their arrays one after another
        # while a request in another thread may be scoring (a caller saw a broadcast error).
        # Scoring and learning take this lock in turn; refits install whole versions atomically.
        self._online = threading.Lock()

    @property
    def content(self) -> Callable[[NDArray[np.float32]], NDArray[np.floating]]:
        """The personal term's raw scores for a taste vector, over the whole catalogue."""
        if self.item_vectors is not None:
            return self.item_vectors.scores
        if self._content is None:
            self._content = ContentScores(self.catalogue.matrix)
        return self._content

    def film_vector(self, position: int) -> NDArray[np.float32]:
        """The vector a rating of the film at ``position`` moves the taste vector with."""
        if self.item_vectors is not None:
            return self.item_vectors.vector(position)
        return np.asarray(self.catalogue.matrix[position])

    @property
    def vectors_version(self) -> int:
        """The film vectors' version: a taste vector folded under another one must be rebuilt."""
        return self.item_vectors.version if self.item_vectors is not None else 0

    def terms(
        self,
        history: Mapping[int, float],
        vector: NDArray[np.float32] | None,
        names: Sequence[str] | None = None,
        user: int | None = None,
    ) -> dict[str, NDArray[np.floating]]:
        """Raw scores of each term over the whole catalogue (positions of ``catalogue.ids``);
        the personal term only when there is a taste vector. ``user`` lets base models keep
        running per-user scores."""
        ids = self.catalogue.ids
        out: dict[str, NDArray[np.floating]] = {}
        for name in names if names is not None else [*self.base_models, PERSONAL]:
            if name == PERSONAL:
                if vector is not None and np.any(vector):
                    out[PERSONAL] = self.content(vector)
            else:
                with self._online:
                    out[name] = self.base_models[name].score(history, ids, user=user)
        return out

    def learn_one(self, user: int, film: int, stars: float, *, background: bool = True) -> None:
        """Feed one rating to every base model; refit the stale ones in a background thread
        (``background``, one at a time per model, so no request waits for a refit) or at once."""
        learners: dict[str, BaseModel | ItemVectors] = dict(self.base_models)
        if self.item_vectors is not None:  # its refit installs a new version of the film vectors
            learners["item_vectors"] = self.item_vectors
        for name, model in learners.items():
            with self._online:
                model.learn_one(user, film, stars)
            if not model.stale:
                continue
            if not background:
                model.refit()
                continue
            running = self._refits.get(name)
            if running is None or not running.is_alive():
                thread = threading.Thread(target=model.refit, name=f"refit-{name}", daemon=True)
                self._refits[name] = thread
                thread.start()

    def personalised(self, n_ratings: int, vector: NDArray[np.float32] | None) -> bool:
        return n_ratings >= self.settings.min_ratings and vector is not None and bool(np.any(vector))

    def rank(
        self,
        history: Mapping[int, float],
        vector: NDArray[np.float32] | None,
        weights: UserWeights,
        *,
        mask: BoolArray,
        k: int,
        n_ratings: int,
        user: int | None = None,
    ) -> Ranking:
        """The top-k films among ``mask`` (a boolean array over the catalogue)."""
        personalised = self.personalised(n_ratings, vector)
        terms = self.terms(history, vector if personalised else None, user=user)
        final, personal, base = blend(terms, weights, mask, personalised)
        cand = np.flatnonzero(mask)
        best = cand[top_k(final[cand], self.catalogue.ids[cand], k)]
        items = [
            ScoredFilm(int(self.catalogue.ids[i]), float(final[i]), float(personal[i]), float(base[i])) for i in best
        ]
        mode = "personal" if personalised else "base"
        return Ranking(items, mode, weights.personal_weight if personalised else 0.0, tuple(self.base_models))

    def updated_weights(
        self,
        history: Mapping[int, float],
        vector: NDArray[np.float32] | None,
        n_ratings: int,
        film_id: int,
        weights: UserWeights,
        *,
        mask: BoolArray,
        user: int | None = None,
    ) -> UserWeights | None:
        """The user's weights after they rated ``film_id`` highly, or None when there is nothing
        to learn (too few earlier ratings, or a film outside the catalogue). ``history``,
        ``vector`` and ``mask`` describe the user *before* this rating."""
        pos = self.catalogue.position(film_id)
        if pos is None or n_ratings < self.settings.min_ratings or self.settings.ensemble_rate <= 0:
            return None
        personalised = self.personalised(n_ratings, vector)
        terms = self.terms(history, vector if personalised else None, user=user)
        return learn_weights(terms, self.catalogue.ids, pos, mask, weights, prior_weights(self.settings), self.settings)
