"""The service API every front-end calls (bot, dashboard, CLI, notebooks): ``Service`` and its
asyncio twin ``AsyncService``, and the values their verbs return."""

from personalization.service.async_service import AsyncService
from personalization.service.browse import NearUser, SimilarFilm, TasteStep
from personalization.service.facade import Service
from personalization.service.results import (
    FeedbackResult,
    IngestResult,
    RateResult,
    Recommendation,
    Recommendations,
    Status,
    check_film_id,
    check_user_id,
)
from personalization.storage.rows import Fan, Overview, UserSummary

__all__ = [
    "Service",
    "AsyncService",
    "RateResult",
    "FeedbackResult",
    "IngestResult",
    "Recommendation",
    "Recommendations",
    "Status",
    "UserSummary",
    "Fan",
    "Overview",
    "SimilarFilm",
    "NearUser",
    "TasteStep",
    "check_user_id",
    "check_film_id",
]
