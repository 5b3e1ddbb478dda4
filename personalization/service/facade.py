"""The service API: the verbs every front-end calls (bot, dashboard, CLI, notebooks).

``Service`` only composes: the repository (``storage.repository``: every statement), the engine
state (``engine``: settings, catalogue, scorer, caches), the write path (``writes``, ``ingest``),
the per-user reads (``reads``) and the browsing reads (``browse``). Each write is one transaction
under a row lock on the user's embedding row, and a verb returns only after the commit.
``AsyncService`` (``async_service``) is its asyncio twin, verb for verb.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from personalization.config import ModelSettings, Settings
from personalization.core import preferences
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import Scorer
from personalization.core.experiments import Experiment, Report
from personalization.core.moods import check_mood
from personalization.core.user_model import UserModel
from personalization.observability import observed, watch
from personalization.service import ingest
from personalization.service.browse import Browse, NearUser, SimilarFilm, TasteStep
from personalization.service.cache import TTLCache, VectorCache
from personalization.service.engine import Engine
from personalization.service.experiments import ExperimentReads, Experiments, VariantSpec
from personalization.service.explain import Explainer, Explanation
from personalization.service.groups import GroupRecommendations, Groups
from personalization.service.invalidation import Invalidation
from personalization.service.reads import Reads
from personalization.service.results import (
    FeedbackResult,
    IngestResult,
    RateResult,
    Recommendations,
    Status,
    check_film_id,
)
from personalization.service.settings import SettingsVersion
from personalization.service.unrate import Unrate, UnrateResult
from personalization.service.writes import Writes
from personalization.storage.db import Database, open_database
from personalization.storage.experiments import ExperimentStore
from personalization.storage.external_ids import ExternalIds, rows_from_metadata
from personalization.storage.migrations import migrate
from personalization.storage.notify import Listener
from personalization.storage.repository import Repository
from personalization.storage.rows import Fan, Overview, UserSummary, Vector

__all__ = ["Service"]

log = logging.getLogger(__name__)


class Service:
    """The engine: open it once at an entry point, share it, close it at the end."""

    def __init__(self, db: Database, settings: Settings, *, listen: bool = True):
        self.db, self.settings = db, settings
        self.repo = Repository(db.pool)
        self.external = ExternalIds(db.pool)
        self.engine = Engine(self.repo, settings, token=f"{os.getpid()}-{id(self)}")
        self.writes = Writes(self.engine, self.repo)
        self.unrates = Unrate(self.engine, self.repo)
        # A/B tests: a member's running variants apply where their weights are chosen (docs/experiments.md)
        self.ab = Experiments(ExperimentStore(db.pool), self.engine)
        self.reads: Reads = ExperimentReads(self.engine, self.repo, self.writes.rebuild_user, experiments=self.ab)
        self.groups = Groups(self.reads)
        self.explainer = Explainer(self.engine, self.repo, self.reads)
        self.browse = Browse(self.engine, self.repo, db.url, lambda user: self.reads.history(user)[1])
        self._listener = Listener(db.url, self._on_notify).start() if listen else None
        watch(self)  # its caches, pool and model, when metrics are scraped

    # -- life cycle ------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        url: str | None = None,
        run_migrations: bool = True,
        listen: bool = True,
    ) -> Service:
        settings = settings or Settings.from_env()
        db = open_database(settings, url=url)
        try:
            if run_migrations:
                migrate(db.pool)
            return cls(db, settings, listen=listen)
        except Exception:
            db.close()
            raise

    def warm_up(self, *, background: bool = True) -> threading.Thread | None:
        """Load the catalogue and the published collaborative models now (``cinesync train``
        publishes them; nothing is fitted here), and the community's rating statistics (a scan
        of every rating), so the first request does not pay for them. Front-ends call this right
        after ``open``."""

        def work() -> None:
            try:
                self.engine.scorer()
                self.engine.community()
            except Exception:  # the first request will try again and report it
                log.exception("warm-up failed")

        if not background:
            work()
            return None
        thread = threading.Thread(target=work, name="cinesync-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if self._listener:
            self._listener.stop()
        self.db.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_notify(self, payload: str) -> None:
        self.engine.on_note(Invalidation.parse(payload))

    # -- state in force --------------------------------------------------------------------------
    @property
    def model_settings(self) -> ModelSettings:
        return self.engine.model_settings

    @property
    def rule(self) -> UserModel:
        return self.engine.rule

    @property
    def vectors(self) -> VectorCache:
        return self.engine.vectors

    @property
    def profiles(self) -> TTLCache:
        return self.engine.profiles

    def invalidate(self) -> None:
        """Drop every cached thing (after bulk changes or a lost listener connection) and
        re-read the saved model settings."""
        self.engine.invalidate()

    def save_model_settings(self, *, source: str = "service", **changes: Any) -> ModelSettings:
        """Store new engine-wide model settings as a new version (``source``: where from, e.g.
        "dashboard"); every process uses them at once."""
        return self.writes.save_model_settings(source=source, **changes)

    def settings_history(self, limit: int = 50) -> list[SettingsVersion]:
        """The stored versions of the model settings, newest first (when, from where, what changed)."""
        return self.writes.settings.history(limit)

    def rollback_model_settings(self, version: int, *, source: str = "service") -> SettingsVersion:
        """Install an older version's model settings again, as a new version."""
        return self.writes.settings.rollback(version, source=source)

    def engine_setting(self, key: str, default: Any = None) -> Any:
        value = self.repo.engine_setting(key)
        return default if value is None else value

    def set_engine_setting(self, key: str, value: Any) -> None:
        self.writes.set_engine_setting(key, value)

    def catalogue(self) -> Catalogue:
        return self.engine.catalogue()

    def scorer(self) -> Scorer:
        return self.engine.scorer()

    def all_ratings(self) -> Ratings:
        return self.engine.all_ratings()

    def community(self) -> preferences.CommunityStats:
        return self.engine.community()

    # -- writes ----------------------------------------------------------------------------------
    @observed("rate", event="rating")
    def rate(self, user_id: Any, film_id: Any, stars: Any, *, at: datetime | float | None = None) -> RateResult:
        """Record a rating (0.5-5 in half steps); re-rating a film replaces its earlier effect."""
        return self.writes.rate(user_id, film_id, stars, at=at)

    @observed("feedback", event=lambda result: result.kind)
    def feedback(
        self,
        user_id: Any,
        film_id: Any,
        kind: str,
        *,
        context: Mapping[str, Any] | None = None,
        at: datetime | float | None = None,
    ) -> FeedbackResult:
        """Record love / like / dislike / hate / not_interested on a film."""
        return self.writes.feedback(user_id, film_id, kind, context=context, at=at)

    def rate_many(
        self, events: Iterable[Sequence[Any]], *, batch_size: int = 5000, progress: Callable[[int], Any] | None = None
    ) -> IngestResult:
        """Apply many (user, film, stars, time) ratings, oldest first (see ``ingest.rate_many``)."""
        return ingest.rate_many(self.engine, self.repo, events, batch_size=batch_size, progress=progress)

    def import_ratings(
        self, path: Path, *, progress: Callable[[str, int, int], Any] | None = None
    ) -> tuple[int, IngestResult]:
        """Import a ratings file of any size (ratings.csv or u.data) through a staging table:
        every row checked first, then applied like ``rate_many``; returns the number of ratings
        read and what was done with them (see ``ingest.import_file``)."""
        return ingest.import_file(self.engine, self.repo, path, progress=progress)

    def import_films(self, films: Iterable[Film]) -> int:
        """Insert or update films (metadata merges; re-importing does not duplicate)."""
        return self.writes.import_films(films)

    def set_user_name(self, user_id: Any, name: str) -> None:
        self.writes.set_user_name(user_id, name)

    # -- links to other catalogues (IMDb, TMDb, MovieLens) ----------------------------------------
    def store_external_ids(self, films: Iterable[Film]) -> int:
        """Store the ids in the films' metadata (``imdb_id``, ``tmdb_id``, ``movielens_id``) in
        the lookup table (one film per id); import the films first. Returns how many ids."""
        return self.external.store(rows_from_metadata((f.id, f.metadata) for f in films))

    def film_ids_by_external_id(self, source: str, values: Iterable[str]) -> dict[str, int]:
        """``{id in that catalogue: film id}`` for the ids the database knows
        (source ``imdb``, ``tmdb`` or ``movielens``)."""
        return self.external.films_for(source, values)

    def external_ids(self, film_id: Any) -> dict[str, str]:
        """A film's ids in other catalogues: ``{"imdb": "tt0111161", "tmdb": "278"}``."""
        return self.external.of_film(check_film_id(film_id))

    @observed("unrate", event="unrating")
    def unrate(self, user_id: Any, film_id: Any) -> UnrateResult:
        """Remove the user's rating of a film as if it had never been given (the taste vector is
        rebuilt from what remains); ``UnknownRating`` if there is none (see ``service.unrate``)."""
        return self.unrates.unrate(user_id, film_id)

    def forget(self, user_id: Any) -> int:
        """Delete everything stored about a user; returns how many rows went."""
        return self.writes.forget(user_id)

    def rebuild_user(self, user_id: Any) -> Vector:
        """Recompute and store a user's vector from their stored signals."""
        return self.writes.rebuild_user(user_id)

    # -- per-user reads --------------------------------------------------------------------------
    def user_vector(self, user_id: Any) -> tuple[Vector, int] | None:
        """The user's taste vector and rating count (cached), or None for an unknown user."""
        return self.reads.user_vector(user_id)

    def history(self, user_id: Any) -> tuple[dict[int, float], set[int]]:
        """The user's ``{film: stars}`` and the films never to recommend them (rated or reacted to)."""
        return self.reads.history(user_id)

    def blend_weight(self, user_id: Any) -> float:
        return self.reads.blend_weight(user_id)

    @observed("recommend")
    def recommend(
        self,
        user_id: Any,
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
        mood: str | None = None,
        shown: bool = True,
    ) -> Recommendations:
        """Top-k films (k from 1 to 100) for a user, each saying how its score was made; ``mood``
        (``core.moods.MOODS``) keeps the films in that mood, in the user's own order. An unknown
        genre or mood, or a decade with no film, is a CineSyncError. ``shown=False``: the member
        does not see these picks (an admin's view, a check), so no A/B exposure is logged."""
        picks = self.reads.recommend(user_id, k, genre=genre, decade=decade, mood=mood)
        picks = self.explainer.annotate(picks, genre=genre, decade=decade, mood=mood)  # reasons from the scores
        asked = {"genre": genre, "decade": decade, "mood": check_mood(mood).name if mood is not None else None}
        picks = replace(picks, filters={name: value for name, value in asked.items() if value is not None})
        if shown:
            self.ab.log_exposures(picks)  # what a member of a running A/B test was shown
        return picks

    @observed("explain")
    def explain(self, user_id: Any, film_id: Any) -> Explanation:
        """Why ``film_id`` would be picked for the user: its score term by term, the history films
        that moved it most (each measured by leaving it out) and up to three reasons. A film the
        user rated or reacted to is a CineSyncError (picks never include it)."""
        return self.explainer.explain(user_id, film_id)

    @observed("group_recommend")
    def group_recommend(
        self, user_ids: Any, k: int = 10, *, strategy: str = "least_misery", mood: str | None = None
    ) -> GroupRecommendations:
        """Films for a watch party (2 to 25 distinct users): films none of them rated or reacted
        to, ranked for the group by ``strategy`` (average, least_misery, approval: see
        ``core.group``), each with every member's predicted stars. Reads only."""
        return self.groups.recommend(user_ids, k, strategy=strategy, mood=mood)

    @observed("what_if")
    def what_if(
        self,
        user_id: Any,
        ratings: Mapping[Any, Any],
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
    ) -> Recommendations:
        """``recommend`` as if the user had also rated ``ratings`` ({film: stars}), computed in
        memory: nothing is stored, no cache or other process sees it."""
        picks = self.reads.what_if(user_id, ratings, k, genre=genre, decade=decade)
        return self.explainer.annotate(picks, genre=genre, decade=decade, imagined=ratings)

    def profile(self, user_id: Any) -> preferences.PreferenceProfile:
        """The user's taste profile (computed from their ratings, stored in user_preferences)."""
        return self.reads.profile(user_id)

    # -- browsing (bot and dashboard) ------------------------------------------------------------
    def film(self, film_id: Any) -> Film:
        return self.browse.film(film_id)

    def search_films(self, query: str, limit: int = 25) -> list[Film]:
        return self.browse.search_films(query, limit)

    def status(self) -> Status:
        return self.browse.status()

    def users(self, query: str = "", limit: int = 50) -> list[UserSummary]:
        """Users whose id is ``query`` or whose name contains it (most ratings first)."""
        return self.browse.users(query, limit)

    def similar_films(self, film_id: Any, k: int = 10) -> list[SimilarFilm]:
        """Content neighbours of a film, closest first: (film, cosine) pairs."""
        return self.browse.similar_films(film_id, k)

    def films_to_rate(
        self, user_id: Any, n: int = 5, *, genres: Sequence[str] | None = None, exclude: Iterable[Any] = ()
    ) -> list[Film]:
        """A new member's next cards, chosen to learn the most (films that split opinion, unlike
        each other and what they answered; never one they rated); ``genres``: those first;
        ``exclude``: films to leave out too (skipped this round)."""
        return self.browse.films_to_rate(user_id, n, genres=genres, exclude=exclude)

    def film_fans(self, film_id: Any, k: int = 20, min_stars: float = 4.0) -> list[Fan]:
        """Users who rated the film at least ``min_stars``, best ratings first."""
        return self.browse.film_fans(film_id, k, min_stars)

    def nearest_users(self, film_id: Any, k: int = 10) -> list[NearUser]:
        """Users whose taste vector points closest to this film: (user, cosine) pairs."""
        return self.browse.nearest_users(film_id, k)

    def taste_trajectory(self, user_id: Any) -> list[TasteStep]:
        """How the user's vector moved: (time, film, strength, vector after it) per signal."""
        return self.browse.taste_trajectory(user_id)

    def overview(self) -> Overview:
        """Counts over time, the star distribution and the most-loved genres (for dashboards)."""
        return self.browse.overview()

    # -- A/B tests and a member's own data (service.experiments, docs/experiments.md) -------------
    def create_experiment(self, name: str, variants: Sequence[VariantSpec], *, description: str = "") -> Experiment:
        """Start an A/B test: ``variants`` like ``["A", "B:blend_weight=0.8"]`` (the first is the
        control); each member is in one variant (a hash of the name and their id), whose
        per-member ranking settings (``blend_weight``, ``weight_<model>``) apply wherever they
        get picks, and what they are shown is logged."""
        return self.ab.create(name, variants, description=description)

    def experiments(self) -> list[Experiment]:
        """Every experiment, newest first, with its exposures so far."""
        return self.ab.all()

    def experiment_report(self, name: str, *, metric: str = "liked") -> Report:
        """Each variant's outcome rate (``liked`` or ``acted`` per shown pick) with its 95 %
        interval, each variant against the control, and a plain verdict."""
        return self.ab.report(name, metric=metric)

    def stop_experiment(self, name: str) -> Experiment:
        """Stop an experiment: its variants no longer apply and nothing more is logged."""
        return self.ab.stop(name)

    def user_data(self, user_id: Any) -> dict[str, Any]:
        """Everything stored about a user, as JSON-ready data: every row of every table that
        holds their id (exposures included) and their variant in each running experiment."""
        return self.ab.user_data(user_id)
