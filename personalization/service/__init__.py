"""The service API every front-end calls (bot, dashboard, CLI, notebooks): ``Service`` and its
asyncio twin ``AsyncService``, and the values their verbs return."""

from personalization.service.facade import AsyncService, Service
from personalization.service.results import (FeedbackResult, IngestResult, RateResult, Recommendation,
                                             Recommendations, Status, check_film_id, check_user_id)

__all__ = ["Service", "AsyncService", "RateResult", "FeedbackResult", "IngestResult", "Recommendation",
           "Recommendations", "Status", "check_user_id", "check_film_id"]
