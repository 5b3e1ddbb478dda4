"""``seed``: the original CineSync v2 design, re-implemented faithfully as a baseline.

Kept only so the replay can show what the original would have scored. Its traits, deliberately
preserved:

* item vectors mix a random vector seeded by the film id with genre "slots" (the original used
  the salted ``hash()``, which changed on every restart; here the slots come from a stable hash so
  the baseline is at least reproducible, which flatters it);
* the user embedding starts, once the user has 5 ratings, as the star-weighted mean of the rated
  films' vectors: every rating pulls *towards* its film, 1 star included;
* after that each event moves ``u <- normalise(u + lr * direction * x)`` with the original's
  branch order (``seed_direction``): ``like`` and ``dislike`` both push away, ``negative`` feedback
  with a rating >= 4 counts as positive, and re-rating a film adds a second update;
* ``score = 0.6 * cosine similarity + 0.4 * popularity`` (popularity scaled to [0, 1]); below 5
  ratings plain popularity.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.popularity import Popularity
from personalization.core.catalogue import Film

__all__ = ["Seed", "seed_direction", "seed_item_vectors"]

SEED_WEIGHT = 0.6
SEED_THRESHOLD = 5


def seed_direction(stars: float | None = None, kind: str | None = None) -> tuple[float, float]:
    """(direction, learning rate) of one event under the original's branch order."""
    if kind == "love" or (kind is None and stars is not None and stars >= 5):
        return 1.0, 0.15
    if kind == "hate" or (kind is None and stars is not None and stars <= 1):
        return -1.0, 0.15
    if kind in ("like", "dislike"):  # the original tested "dislike" first by substring: both push away
        return -1.0, 0.1
    if kind == "negative" and stars is not None and stars >= 4:
        return 1.0, 0.1  # its rating branch ran first
    if kind == "negative":
        return -1.0, 0.1
    if stars is None or stars == 3:
        return 0.0, 0.1  # "neutral ratings have minimal effect"
    return (1.0 if stars > 3 else -1.0), 0.1


def seed_item_vectors(films: Iterable[Film], dim: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(sorted film ids, unit vectors): 0.5 x id-seeded random + genre slots set to 1."""
    films = sorted(films, key=lambda f: f.id)
    ids = np.array([f.id for f in films], np.int64)
    out = np.zeros((len(films), dim), np.float32)
    for row, film in enumerate(films):
        vec = np.random.default_rng(film.id).normal(0, 1, dim) * 0.5
        for genre in film.genres:
            slot = int.from_bytes(hashlib.blake2b(genre.encode(), digest_size=4).digest(), "big") % dim
            vec[slot] += 1.0
        out[row] = vec / (np.linalg.norm(vec) or 1.0)
    return ids, out


class Seed:
    name = "seed"

    def __init__(self, films: Iterable[Film], dim: int = 256):
        self.ids, self.vectors = seed_item_vectors(films, dim)
        self.popularity = Popularity()
        self.embedding: dict[int, np.ndarray] = {}
        self.counts: dict[int, int] = defaultdict(int)
        self.rated: dict[int, list[tuple[int, float]]] = defaultdict(list)

    def fit(self, ratings: Ratings) -> Seed:
        self.popularity.fit(ratings)
        for u, f, s in zip(ratings.users.tolist(), ratings.films.tolist(), ratings.stars.tolist()):
            self._learn_user(u, f, s)
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        self.popularity.learn_one(user, film, stars)
        self._learn_user(user, film, stars)

    def _vector(self, film: int) -> np.ndarray | None:
        pos = int(np.searchsorted(self.ids, film))
        return self.vectors[pos] if pos < len(self.ids) and self.ids[pos] == film else None

    def _learn_user(self, user: int, film: int, stars: float) -> None:
        self.counts[user] += 1
        x = self._vector(film)
        if user not in self.embedding:
            self.rated[user].append((film, stars))
            if self.counts[user] >= SEED_THRESHOLD:  # first embedding: every rating pulls towards
                vecs = [(self._vector(f), s) for f, s in self.rated.pop(user)]
                total = np.zeros(self.vectors.shape[1], self.vectors.dtype)  # as the original: float32
                for v, s in vecs:
                    if v is not None:
                        total = total + s * v
                self.embedding[user] = total / (np.linalg.norm(total) or 1.0)
            return
        if x is None:
            return
        direction, lr = seed_direction(stars)
        u = self.embedding[user] + lr * direction * x
        self.embedding[user] = u / (np.linalg.norm(u) or 1.0)

    def score_user(self, user: int, candidates: np.ndarray) -> np.ndarray:
        pop = self.popularity.score({}, candidates)
        pop = pop / pop.max() if len(pop) and pop.max() > 0 else pop
        u = self.embedding.get(user)
        if u is None or self.counts[user] < SEED_THRESHOLD:
            return pop
        if len(candidates) == len(self.ids) and np.array_equal(candidates, self.ids):
            sim = self.vectors @ u  # the whole catalogue, in order (the replay's case)
        else:
            pos = np.searchsorted(self.ids, candidates).clip(0, max(len(self.ids) - 1, 0))
            known = self.ids[pos] == candidates if len(self.ids) else np.zeros(len(candidates), bool)
            sim = np.where(known, self.vectors[pos] @ u, 0.0)
        return SEED_WEIGHT * sim + (1 - SEED_WEIGHT) * pop

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        """Without a user id the seed design had nothing but popularity."""
        return self.popularity.score(history, candidates)
