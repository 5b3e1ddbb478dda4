"""A user's ratings with their times, oldest first: what a time-aware profile reads.

The SQL and its one reader (``timed_ratings``); ``core.preferences.analyse`` weights the
favourites by age (``half_life_days``) and measures drift from these rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from personalization.storage.repository import Session

__all__ = ["USER_RATINGS_TIMED", "timed_ratings"]

USER_RATINGS_TIMED = """
SELECT movie_id, stars, extract(epoch FROM rated_at)::float8
FROM ratings WHERE user_id = %s ORDER BY rated_at, movie_id"""


def timed_ratings(session: Session, user_id: int) -> list[tuple[int, float, float]]:
    """``(film, stars, rated_at as a Unix time)`` for ``user_id``, oldest first, in the
    ``storage.repository.Session`` given (its open connection, its transaction)."""
    rows = session.conn.execute(USER_RATINGS_TIMED, (user_id,)).fetchall()
    return [(int(f), float(s), float(t)) for f, s, t in rows]
