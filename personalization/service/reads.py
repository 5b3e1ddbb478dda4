"""The per-user reads: taste vector, history, recommendations and the taste profile."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from personalization.core import moods, preferences, signals
from personalization.core.catalogue import Catalogue
from personalization.core.ensemble import UserWeights
from personalization.errors import CineSyncError, UnknownUser, quoted
from personalization.service import explain
from personalization.service.engine import Engine, strength_of
from personalization.service.results import Recommendation, Recommendations, check_film_id, check_user_id
from personalization.storage.repository import Repository
from personalization.storage.rows import Vector

__all__ = ["Reads", "MAX_K", "check_k", "filter_mask"]

log = logging.getLogger(__name__)
MAX_K = 100


def check_k(k: Any) -> int:
    """How many picks: a whole number from 1 to ``MAX_K``; anything else is refused, not clamped."""
    bad = CineSyncError(f"the number of picks must be a whole number from 1 to {MAX_K}, got {k!r}")
    if isinstance(k, bool) or (isinstance(k, float) and not k.is_integer()):
        raise bad
    try:
        value = int(k)
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if not 1 <= value <= MAX_K:
        raise bad
    return value


def filter_mask(
    cat: Catalogue, genre: str | None, decade: int | None, mood_mask: np.ndarray | None = None
) -> np.ndarray:
    """The films of ``genre`` and ``decade`` (either may be None) and of ``mood_mask`` (a mood's
    films, ``Reads.mood_mask``); an unknown genre, or a decade with no film, is an error that
    lists what the catalogue has."""
    mask = np.ones(len(cat), dtype=bool) if mood_mask is None else mood_mask.copy()
    if genre:
        known = cat.genres()
        if genre.strip().lower() not in {g.lower() for g in known}:
            listed = ", ".join(known) if known else "none: import a catalogue first"
            raise CineSyncError(f"unknown genre {quoted(genre)}; the catalogue's genres: {listed}")
        mask &= cat.genre_mask(genre.strip())
    if decade is not None:
        decades = sorted({f.year // 10 * 10 for f in cat.films if f.year})
        try:
            wanted = int(decade) // 10 * 10
        except (TypeError, ValueError, OverflowError):
            raise CineSyncError(f"a decade is a year such as 1990, got {decade!r}") from None
        if wanted not in decades:
            listed = ", ".join(f"{d}s" for d in decades) if decades else "none: import a catalogue first"
            raise CineSyncError(f"no film is from the {wanted}s; the catalogue's decades: {listed}")
        mask &= cat.decade_mask(wanted)
    return mask


class Reads:
    """Reads of one user's state (``rebuild`` repairs an unusable stored vector)."""

    def __init__(self, engine: Engine, repo: Repository, rebuild: Callable[[int], Vector]):
        self.engine, self.repo, self.rebuild = engine, repo, rebuild
        # the moods' films in the catalogue they were computed for (dropped with that catalogue)
        self._moods: tuple[Catalogue | None, dict[str, np.ndarray]] = (None, {})

    def mood_mask(self, cat: Catalogue, mood: str | None) -> np.ndarray | None:
        """The catalogue's films in ``mood`` (None: no mood); an unknown mood is an error that
        lists the known ones (``core.moods``)."""
        if mood is None:
            return None
        wanted = moods.check_mood(mood)
        held, masks = self._moods
        if held is not cat:
            masks = {}
            self._moods = (cat, masks)
        if wanted.name not in masks:
            masks[wanted.name] = moods.mood_mask(cat, wanted)
        return masks[wanted.name]

    def user_vector(self, user_id: Any) -> tuple[Vector, int] | None:
        """The user's taste vector and rating count (cached), or None for an unknown user."""
        user_id = check_user_id(user_id)
        engine = self.engine
        cached: tuple[Vector, int] | None = engine.vectors.get(user_id)
        if cached is not None:
            return cached
        with self.repo.session() as session:
            row = session.read_embedding(user_id)
        if row is None:
            return None
        vector, key = row.embedding, engine.vector_version
        if row.model_version != key or not engine.usable(vector):
            # expected after a change of dim, learning rates or published film vectors: every
            # vector is rebuilt once, quietly
            log.info("stored vector of user %s is unusable (version %s); rebuilding", user_id, row.model_version)
            vector = self.rebuild(user_id)
        engine.cache_vector(user_id, vector, row.n_ratings, key)
        return vector, row.n_ratings

    def history_and_weights(self, user_id: int) -> tuple[signals.History, UserWeights]:
        """What ``recommend`` reads per request: one statement."""
        with self.repo.session() as session:
            rows, stored = session.history_and_weights(user_id)
        return signals.History.from_rows(rows), self.engine.user_weights(stored)

    def history(self, user_id: Any) -> tuple[dict[int, float], set[int]]:
        """The user's ``{film: stars}`` and the films they must never be recommended (every film
        they rated or gave feedback on)."""
        history, _ = self.history_and_weights(check_user_id(user_id))
        return history.rated, history.seen

    def blend_weight(self, user_id: Any) -> float:
        return self.history_and_weights(check_user_id(user_id))[1].personal_weight

    def recommend(
        self,
        user_id: Any,
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
        mood: str | None = None,
    ) -> Recommendations:
        """Top-k films for a user, each saying how its score was made. ``mood`` keeps the films in
        that mood (``core.moods``), in the user's own order."""
        user_id, k = check_user_id(user_id), check_k(k)
        engine = self.engine
        cat = engine.catalogue()
        mask = filter_mask(cat, genre, decade, self.mood_mask(cat, mood))
        state = self.user_vector(user_id)
        vector = state[0] if state is not None else engine.rule.zero()
        history, weights = self.history_and_weights(user_id)
        return self._ranked(user_id, cat, mask, history, vector, weights, k)

    def what_if(
        self,
        user_id: Any,
        ratings: Mapping[Any, Any],
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
    ) -> Recommendations:
        """``recommend`` as if the user had also rated ``ratings`` ({film: stars}, newest last):
        the taste vector is replayed in memory from the stored signals plus these, the blend
        weights are the stored ones. Reads only: nothing is written, no cache is touched."""
        user_id, k = check_user_id(user_id), check_k(k)
        extra = {check_film_id(f): signals.check_stars(s) for f, s in ratings.items()}
        engine = self.engine
        for film_id in extra:
            engine.film_vector(film_id)  # an unknown film is refused here
        cat = engine.catalogue()
        mask = filter_mask(cat, genre, decade)
        with self.repo.session() as session:
            stored = session.effective_signals(user_id)
            rows = session.history(user_id)
            weights = engine.user_weights(session.model_weights(user_id))
        space = engine.space()  # the film vectors the scorer serves
        events = []
        for signal in stored:
            film_vector = space.vector(signal.film_id)
            if film_vector is not None and signal.film_id not in extra:
                events.append((film_vector, strength_of(signal.stars, signal.kind), signal.at.timestamp()))
        now = time.time()  # the imagined ratings are given now
        for film_id, stars in extra.items():
            events.append((engine.film_vector(film_id), strength_of(stars, None), now))
        vector = engine.rule.rebuild(events)
        history = signals.History.from_rows(
            [r for r in rows if r[0] not in extra] + [(f, s, None) for f, s in extra.items()]
        )
        return self._ranked(user_id, cat, mask, history, vector, weights, k)

    def _ranked(
        self,
        user_id: int,
        cat: Catalogue,
        mask: np.ndarray,
        history: signals.History,
        vector: Vector,
        weights: UserWeights,
        k: int,
    ) -> Recommendations:
        """The top k of ``mask`` less the films the user has seen, each with its reason."""
        engine = self.engine
        if history.seen:
            mask[cat.positions(list(history.seen))] = False
        # The same scoring code the replay measures (ensemble.Scorer): base models + personal term,
        # blended with this user's learned weights (over the collaborative models served).
        ranking = engine.scorer().rank(
            history.taste,
            vector,
            engine.ranking_weights(weights),
            mask=mask,
            k=k,
            n_ratings=history.n_signals,
            user=user_id,
        )
        why = explain.reasons(cat, ranking.items, history.taste, personalised=ranking.mode == "personal")
        items = []
        for scored, reason in zip(ranking.items, why):
            film = cat.get(scored.film_id)
            assert film is not None  # ranked from this catalogue
            items.append(Recommendation(film, scored.score, scored.personal, scored.base, ranking.label, reason))
        return Recommendations(
            user_id,
            ranking.mode,
            items,
            history.n_signals,
            ranking.personal_weight,
            engine.model_settings.min_ratings,
            engine.served_version_id,
        )

    def profile(self, user_id: Any) -> preferences.PreferenceProfile:
        """The user's taste profile (computed from their ratings, stored in user_preferences)."""
        user_id = check_user_id(user_id)
        engine = self.engine
        cached: preferences.PreferenceProfile | None = engine.profiles.get(user_id)
        if cached is not None:
            return cached
        community = engine.community()
        with self.repo.session() as session:  # one statement reads, one writes the stored profile
            exists, timed, stored = session.profile_inputs(user_id)
            if not exists:
                raise UnknownUser(user_id)
            rated = self._rated_films(timed)
            profile = preferences.analyse(
                user_id, rated, community, half_life_days=engine.model_settings.half_life_days
            )
            learned = engine.user_weights(stored)  # the tuned ones until learned
            profile.blend_weight = learned.personal_weight
            profile.model_weights = {m: round(a, 4) for m, a in learned.base_weights.items()}
            session.upsert_profile(user_id, profile.to_dict(), profile.n_ratings)
        engine.profiles.put(user_id, profile)
        return profile

    def _rated_films(self, rows: list[tuple[int, float, float]]) -> list[preferences.RatedFilm]:
        """(film, stars, Unix time) rows, oldest first, with the films' metadata from the
        in-memory catalogue (the times weigh recent ratings and measure drift)."""
        cat = self.engine.catalogue()
        ids = [f for f, _, _ in rows]
        if len(cat.positions(ids)) < len(ids):
            cat = self.engine.reload_catalogue()  # a film added by another process since we loaded
        out = []
        for film_id, stars, at in rows:
            f = cat.get(film_id)
            if f is not None:
                out.append(preferences.RatedFilm(film_id, stars, f.genres, f.directors, f.actors, f.year, at))
        return out
