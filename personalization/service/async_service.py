"""``Service`` for an asyncio event loop (the bot): the same verbs with the same parameters and
return types, each run in a worker thread so no blocking database call runs on the loop.

Written out verb by verb (not a ``__getattr__`` proxy) so type checkers see every signature; a
test checks that every public ``Service`` method has a twin here with the same parameters.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from personalization.config import ModelSettings
from personalization.core import preferences
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import Scorer
from personalization.core.experiments import Experiment, Report
from personalization.service.browse import NearUser, SimilarFilm, TasteStep
from personalization.service.experiments import VariantSpec
from personalization.service.explain import Explanation
from personalization.service.facade import Service
from personalization.service.groups import GroupRecommendations
from personalization.service.results import FeedbackResult, IngestResult, RateResult, Recommendations, Status
from personalization.service.settings import SettingsVersion
from personalization.service.unrate import UnrateResult
from personalization.storage.rows import Fan, Overview, UserSummary, Vector

__all__ = ["AsyncService"]

to_thread = asyncio.to_thread


class AsyncService:
    """``Service``'s verbs, awaitable. ``sync`` is the wrapped service."""

    def __init__(self, service: Service):
        self.sync = service

    @property
    def model_settings(self) -> ModelSettings:
        return self.sync.model_settings

    # -- life cycle and state --------------------------------------------------------------------
    async def warm_up(self, *, background: bool = True) -> threading.Thread | None:
        return await to_thread(self.sync.warm_up, background=background)

    async def close(self) -> None:
        await to_thread(self.sync.close)

    async def invalidate(self) -> None:
        await to_thread(self.sync.invalidate)

    async def save_model_settings(self, *, source: str = "service", **changes: Any) -> ModelSettings:
        return await to_thread(self.sync.save_model_settings, source=source, **changes)

    async def settings_history(self, limit: int = 50) -> list[SettingsVersion]:
        return await to_thread(self.sync.settings_history, limit)

    async def rollback_model_settings(self, version: int, *, source: str = "service") -> SettingsVersion:
        return await to_thread(self.sync.rollback_model_settings, version, source=source)

    async def engine_setting(self, key: str, default: Any = None) -> Any:
        return await to_thread(self.sync.engine_setting, key, default)

    async def set_engine_setting(self, key: str, value: Any) -> None:
        await to_thread(self.sync.set_engine_setting, key, value)

    async def catalogue(self) -> Catalogue:
        return await to_thread(self.sync.catalogue)

    async def scorer(self) -> Scorer:
        return await to_thread(self.sync.scorer)

    async def all_ratings(self) -> Ratings:
        return await to_thread(self.sync.all_ratings)

    async def community(self) -> preferences.CommunityStats:
        return await to_thread(self.sync.community)

    # -- writes ----------------------------------------------------------------------------------
    async def rate(self, user_id: Any, film_id: Any, stars: Any, *, at: datetime | float | None = None) -> RateResult:
        return await to_thread(self.sync.rate, user_id, film_id, stars, at=at)

    async def feedback(
        self,
        user_id: Any,
        film_id: Any,
        kind: str,
        *,
        context: Mapping[str, Any] | None = None,
        at: datetime | float | None = None,
    ) -> FeedbackResult:
        return await to_thread(self.sync.feedback, user_id, film_id, kind, context=context, at=at)

    async def rate_many(
        self, events: Iterable[Sequence[Any]], *, batch_size: int = 5000, progress: Callable[[int], Any] | None = None
    ) -> IngestResult:
        return await to_thread(self.sync.rate_many, events, batch_size=batch_size, progress=progress)

    async def import_ratings(
        self, path: Path, *, progress: Callable[[str, int, int], Any] | None = None
    ) -> tuple[int, IngestResult]:
        return await to_thread(self.sync.import_ratings, path, progress=progress)

    async def import_films(self, films: Iterable[Film]) -> int:
        return await to_thread(self.sync.import_films, films)

    async def set_user_name(self, user_id: Any, name: str) -> None:
        await to_thread(self.sync.set_user_name, user_id, name)

    async def store_external_ids(self, films: Iterable[Film]) -> int:
        return await to_thread(self.sync.store_external_ids, films)

    async def film_ids_by_external_id(self, source: str, values: Iterable[str]) -> dict[str, int]:
        return await to_thread(self.sync.film_ids_by_external_id, source, values)

    async def external_ids(self, film_id: Any) -> dict[str, str]:
        return await to_thread(self.sync.external_ids, film_id)

    async def unrate(self, user_id: Any, film_id: Any) -> UnrateResult:
        return await to_thread(self.sync.unrate, user_id, film_id)

    async def forget(self, user_id: Any) -> int:
        return await to_thread(self.sync.forget, user_id)

    async def rebuild_user(self, user_id: Any) -> Vector:
        return await to_thread(self.sync.rebuild_user, user_id)

    # -- per-user reads --------------------------------------------------------------------------
    async def user_vector(self, user_id: Any) -> tuple[Vector, int] | None:
        return await to_thread(self.sync.user_vector, user_id)

    async def history(self, user_id: Any) -> tuple[dict[int, float], set[int]]:
        return await to_thread(self.sync.history, user_id)

    async def blend_weight(self, user_id: Any) -> float:
        return await to_thread(self.sync.blend_weight, user_id)

    async def recommend(
        self,
        user_id: Any,
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
        mood: str | None = None,
        shown: bool = True,
    ) -> Recommendations:
        return await to_thread(self.sync.recommend, user_id, k, genre=genre, decade=decade, mood=mood, shown=shown)

    async def group_recommend(
        self, user_ids: Any, k: int = 10, *, strategy: str = "least_misery", mood: str | None = None
    ) -> GroupRecommendations:
        return await to_thread(self.sync.group_recommend, user_ids, k, strategy=strategy, mood=mood)

    async def explain(self, user_id: Any, film_id: Any) -> Explanation:
        return await to_thread(self.sync.explain, user_id, film_id)

    async def what_if(
        self,
        user_id: Any,
        ratings: Mapping[Any, Any],
        k: int = 10,
        *,
        genre: str | None = None,
        decade: int | None = None,
    ) -> Recommendations:
        return await to_thread(self.sync.what_if, user_id, ratings, k, genre=genre, decade=decade)

    async def profile(self, user_id: Any) -> preferences.PreferenceProfile:
        return await to_thread(self.sync.profile, user_id)

    # -- browsing --------------------------------------------------------------------------------
    async def film(self, film_id: Any) -> Film:
        return await to_thread(self.sync.film, film_id)

    async def search_films(self, query: str, limit: int = 25) -> list[Film]:
        return await to_thread(self.sync.search_films, query, limit)

    async def status(self) -> Status:
        return await to_thread(self.sync.status)

    async def users(self, query: str = "", limit: int = 50) -> list[UserSummary]:
        return await to_thread(self.sync.users, query, limit)

    async def similar_films(self, film_id: Any, k: int = 10) -> list[SimilarFilm]:
        return await to_thread(self.sync.similar_films, film_id, k)

    async def films_to_rate(
        self, user_id: Any, n: int = 5, *, genres: Sequence[str] | None = None, exclude: Iterable[Any] = ()
    ) -> list[Film]:
        return await to_thread(self.sync.films_to_rate, user_id, n, genres=genres, exclude=list(exclude))

    async def film_fans(self, film_id: Any, k: int = 20, min_stars: float = 4.0) -> list[Fan]:
        return await to_thread(self.sync.film_fans, film_id, k, min_stars)

    async def nearest_users(self, film_id: Any, k: int = 10) -> list[NearUser]:
        return await to_thread(self.sync.nearest_users, film_id, k)

    async def taste_trajectory(self, user_id: Any) -> list[TasteStep]:
        return await to_thread(self.sync.taste_trajectory, user_id)

    async def overview(self) -> Overview:
        return await to_thread(self.sync.overview)

    # -- A/B tests and a member's own data -------------------------------------------------------
    async def create_experiment(
        self, name: str, variants: Sequence[VariantSpec], *, description: str = ""
    ) -> Experiment:
        return await to_thread(self.sync.create_experiment, name, variants, description=description)

    async def experiments(self) -> list[Experiment]:
        return await to_thread(self.sync.experiments)

    async def experiment_report(self, name: str, *, metric: str = "liked") -> Report:
        return await to_thread(self.sync.experiment_report, name, metric=metric)

    async def stop_experiment(self, name: str) -> Experiment:
        return await to_thread(self.sync.stop_experiment, name)

    async def user_data(self, user_id: Any) -> dict[str, Any]:
        return await to_thread(self.sync.user_data, user_id)
