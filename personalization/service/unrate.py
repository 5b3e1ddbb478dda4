"""``Service.unrate``: remove one rating, as if it had never been given.

One transaction under the user's locks (the ones every write for the user takes, in the same
order, so it neither deadlocks with ``rate``/``forget`` nor loses an event of theirs): delete the
rating, rebuild the taste vector from the signals that remain (a feedback on the same film, if
any, now speaks for it), decrement the rating counter, store the row and notify the other
processes (delivered at commit). Then this process drops what it cached about the user and the
community's rating sums.

Not undone: the blend weights the rating taught (they are the user's weights, learned from many
events), and the collaborative models' counts (the published models and this process's online
state still include it until the next ``cinesync train``), as for ``forget``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from personalization.errors import UnknownRating
from personalization.service.engine import Engine
from personalization.service.results import check_film_id, check_user_id
from personalization.storage.repository import Repository
from personalization.storage.retry import retry_transaction
from personalization.storage.rows import EmbeddingRow
from personalization.storage.unrate import RemovedRating, delete_rating

__all__ = ["UnrateResult", "Unrate"]


@dataclass(frozen=True)
class UnrateResult:
    """What ``unrate`` removed, and the user's state after it."""

    user_id: int
    film_id: int
    stars: float  # the rating removed
    rated_at: datetime  # when it had been given
    n_ratings: int  # ratings left
    personalised: bool  # still enough films rated or reacted to for personal picks


class Unrate:
    """The ``unrate`` verb over the engine's state and the repository."""

    def __init__(self, engine: Engine, repo: Repository):
        self.engine, self.repo = engine, repo

    def unrate(self, user_id: Any, film_id: Any) -> UnrateResult:
        """Remove the user's rating of the film; an ``UnknownRating`` (nothing written) if there
        is none."""
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        self.engine.catalogue()  # loaded before the locks: the rebuild reads it under them
        row, removed, n_signals = retry_transaction(lambda: self._unrate_once(user_id, film_id))
        engine = self.engine
        engine.forget_user(user_id)  # the profile and the community's sums counted the rating
        engine.cache_vector(user_id, row.embedding, row.n_ratings, row.model_version)  # if in the space served
        return UnrateResult(
            user_id,
            film_id,
            removed.stars,
            removed.rated_at,
            row.n_ratings,
            n_signals >= engine.model_settings.min_ratings,
        )

    def _unrate_once(self, user_id: int, film_id: int) -> tuple[EmbeddingRow, RemovedRating, int]:
        engine = self.engine
        with self.repo.transaction() as session:
            session.lock_existing_user(user_id)  # creates nothing: an unknown user has no rating
            removed = delete_rating(session, user_id, film_id)
            if removed is None:
                raise UnknownRating(user_id, film_id)  # rolls back: nothing written
            row = session.lock_user(user_id, engine.rule.zero(), engine.model_settings.version)
            row.n_ratings = max(0, row.n_ratings - 1)
            row.embedding = engine.rebuilt_vector(session, user_id)
            row.model_version, row.dim = engine.model_settings.version, engine.rule.dim
            # The latest event time stays (the store keeps the later of the two).
            at = row.last_event_at or removed.rated_at
            session.store_embedding(user_id, row, at, engine.note(user_id=user_id))
            n_signals = session.count_signals(user_id)
        return row, removed, n_signals
