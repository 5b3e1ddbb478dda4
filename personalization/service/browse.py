"""The browsing reads the bot and the dashboards show: users, films, neighbours, activity."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np

from personalization.core import onboarding, ranker, signals
from personalization.core.catalogue import Catalogue, Film
from personalization.errors import UnknownFilm
from personalization.service.engine import Engine, film_of, strength_of
from personalization.service.reads import check_k, filter_mask
from personalization.service.results import Status, check_film_id, check_user_id
from personalization.storage.db import redact
from personalization.storage.onboarding import opinion_stats
from personalization.storage.repository import Repository
from personalization.storage.rows import Fan, Overview, UserSummary, Vector

__all__ = ["Browse", "SimilarFilm", "NearUser", "TasteStep", "genres_mask", "STATS_SECONDS"]

STATS_SECONDS = 300.0  # how long the films' opinion counts are reused before they are read again


def genres_mask(cat: Catalogue, genres: Sequence[str] | None) -> np.ndarray | None:
    """The films of any of ``genres`` (None when none is given); an unknown genre is an error
    that lists the catalogue's genres (``filter_mask``'s)."""
    if genres is None or isinstance(genres, str):
        genres = [genres] if genres else []
    wanted = [str(g).strip() for g in genres if str(g).strip()]
    if not wanted:
        return None
    mask = np.zeros(len(cat), bool)
    for g in wanted:
        mask |= filter_mask(cat, g, None)
    return mask


class SimilarFilm(NamedTuple):
    film: Film
    similarity: float  # cosine of the content vectors


class NearUser(NamedTuple):
    user_id: int
    similarity: float  # cosine of the user's taste vector and the film's content vector


class TasteStep(NamedTuple):
    at: datetime
    film_id: int
    strength: float
    vector: Vector  # the taste vector after this signal


class Browse:
    """``excluded(user)``: the films never to show that user again; ``url``: the database's."""

    def __init__(self, engine: Engine, repo: Repository, url: str, excluded: Callable[[int], set[int]]):
        self.engine, self.repo, self.url, self.excluded = engine, repo, url, excluded
        self._opinions: tuple[float, onboarding.OpinionStats] | None = None

    def users(self, query: str = "", limit: int = 50) -> list[UserSummary]:
        """Users whose id is ``query`` or whose name contains it (most ratings first)."""
        return self.repo.search_users(str(query or "").strip()[:200], max(1, min(int(limit), 1000)))

    def film(self, film_id: Any) -> Film:
        film_id = check_film_id(film_id)
        film = self.engine.catalogue().get(film_id)
        if film is None:
            row = self.repo.film(film_id)
            if row is None:
                raise UnknownFilm(film_id)
            self.engine.reload_catalogue()
            return film_of(row)
        return film

    def search_films(self, query: str, limit: int = 25) -> list[Film]:
        """Films whose title contains ``query``: the title itself first, then titles starting with
        it as whole words, containing it as whole words, starting with it; shortest first."""
        rows = self.repo.search_films(str(query or "")[:200], max(1, min(int(limit), 100)))
        return [film_of(r) for r in rows]

    def similar_films(self, film_id: Any, k: int = 10) -> list[SimilarFilm]:
        """Content neighbours of a film (cosine similarity of the content vectors)."""
        cat = self.engine.catalogue()
        pos = cat.position(check_film_id(film_id))
        if pos is None:
            raise UnknownFilm(film_id)
        sims = cat.matrix @ cat.matrix[pos]
        sims[pos] = -np.inf
        best = ranker.top_k(sims, cat.ids, min(k, len(cat) - 1))
        return [SimilarFilm(cat.films[i], float(sims[i])) for i in best]

    def films_to_rate(
        self, user_id: Any, n: int = 5, *, genres: Sequence[str] | None = None, exclude: Iterable[Any] = ()
    ) -> list[Film]:
        """A new member's next cards, chosen to learn the most (``core.onboarding``, the default
        strategy): films that split opinion among the people who rated them and differ from
        each other and from what the user already answered; never a film they rated or hid.
        ``genres``: films of those genres first (an unknown genre lists the known ones);
        ``exclude``: more films to leave out (those skipped this round)."""
        user_id, n = check_user_id(user_id), check_k(n)
        cat = self.engine.catalogue()
        first = genres_mask(cat, genres)
        with self.repo.session() as session:
            history = signals.History.from_rows(session.history(user_id))
        excluded = np.zeros(len(cat), bool)
        excluded[cat.positions(list(history.seen))] = True  # what ``excluded`` gives, read with the stars
        excluded[cat.positions([check_film_id(f) for f in exclude])] = True
        picked = onboarding.choose(
            cat.ids,
            [f.genres for f in cat.films],
            cat.matrix,
            self.opinion_stats(),
            n,
            excluded=excluded,
            answers=history.rated,
            first=first,
            strategy=onboarding.DEFAULT_STRATEGY,
        )
        return [cat.films[pos] for pos in picked]

    def opinion_stats(self) -> onboarding.OpinionStats:
        """Each film's opinion counts, read at most every ``STATS_SECONDS`` (they move slowly)."""
        now = time.monotonic()
        cached = self._opinions
        if cached is None or now - cached[0] > STATS_SECONDS:
            cached = self._opinions = (now, opinion_stats(self.repo.pool))
        return cached[1]

    def film_fans(self, film_id: Any, k: int = 20, min_stars: float = 4.0) -> list[Fan]:
        """Users who rated the film at least ``min_stars``, best ratings first."""
        return self.repo.film_fans(check_film_id(film_id), min_stars, k)

    def nearest_users(self, film_id: Any, k: int = 10) -> list[NearUser]:
        """Users whose taste vector points closest to this film's vector (cosine), each beside
        the film's vector of the space their vector was folded in: the published film vectors
        served now, or the content vectors (imported, not used since); a vector of an older
        published space is compared once it is rebuilt."""
        engine = self.engine
        film_id = check_film_id(film_id)
        engine.film_vector(film_id)  # an unknown film is refused here
        space = engine.space()
        pos = space.catalogue.position(film_id)
        if pos is None:
            return []
        items = {engine.model_settings.version: space.catalogue.matrix[pos], space.key: space.scorer.film_vector(pos)}
        rows = []
        for key, item in items.items():
            unit = item / (np.linalg.norm(item) or 1.0)
            rows += [(u, v, unit) for u, v in self.repo.embeddings(1, key) if engine.usable(v) and np.any(v)]
        if not rows:
            return []
        ids = np.array([u for u, _, _ in rows], np.int64)
        sims = np.array([float(v @ unit) for _, v, unit in rows])
        return [NearUser(int(ids[i]), float(sims[i])) for i in ranker.top_k(sims, ids, k)]

    def taste_trajectory(self, user_id: Any) -> list[TasteStep]:
        """How the user's vector moved: (time, film, strength, vector after it) per signal."""
        user_id = check_user_id(user_id)
        engine = self.engine
        space = engine.space()  # the film vectors the stored taste vector is folded with
        out: list[TasteStep] = []
        vector = engine.rule.zero()
        for signal in self.repo.effective_signals(user_id):
            film_vector = space.vector(signal.film_id)
            if film_vector is not None:
                strength = strength_of(signal.stars, signal.kind)
                vector = engine.rule.step(vector, film_vector, strength)
                out.append(TasteStep(signal.at, signal.film_id, strength, vector))
        return out

    def overview(self) -> Overview:
        """Counts over time, the star distribution and the most-loved genres (for dashboards)."""
        return self.repo.overview()

    def status(self) -> Status:
        engine = self.engine
        c = self.repo.status_counts(engine.model_settings.min_ratings)
        cache = {
            "vectors": len(engine.vectors),
            "profiles": len(engine.profiles),
            "vector_hits": engine.vectors.hits,
            "vector_misses": engine.vectors.misses,
            "bytes": sum(engine.cache_bytes().values()),
            "budget_bytes": sum(engine.budgets.values()),
        }
        return Status(
            c.films,
            c.users,
            c.ratings,
            c.feedback,
            c.personalised_users,
            c.model_versions,
            engine.model_settings.version,
            redact(self.url),
            cache,
            engine.served_version_id,
            [v.to_dict() for v in engine.models.versions(3)],
        )
