"""Removing one rating, inside a ``Session``'s transaction (the service's ``unrate`` verb)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from personalization.storage import unrate_queries as q
from personalization.storage.repository import Session

__all__ = ["RemovedRating", "delete_rating"]


@dataclass(frozen=True)
class RemovedRating:
    """The rating a delete removed."""

    stars: float
    rated_at: datetime


def delete_rating(session: Session, user_id: int, film_id: int) -> RemovedRating | None:
    """Delete the user's rating of the film; what it was, or None when there was none. The
    caller holds the user's locks (``Session.lock_existing_user``)."""
    row = session.conn.execute(q.DELETE_RATING, {"u": user_id, "f": film_id}).fetchone()
    return None if row is None else RemovedRating(float(row[0]), row[1])
