"""What a new member's first cards are chosen from: each rated film's opinion counts (SQL in
``onboarding_queries``). The bins are ``core.onboarding.opinion_bins``': disliked (2 stars or
less), middling (2.5 to 3.5), liked (4 or more)."""

from __future__ import annotations

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from personalization.core.onboarding import OpinionStats
from personalization.storage.onboarding_queries import OPINION_COUNTS

__all__ = ["opinion_stats"]


def opinion_stats(pool: ConnectionPool[Connection[TupleRow]]) -> OpinionStats:
    """Every rated film's (disliked, middling, liked) counts, one scan of the ratings."""
    with pool.connection() as conn:
        rows = conn.execute(OPINION_COUNTS).fetchall()
    return OpinionStats.from_rows([(int(f), int(a), int(b), int(c)) for f, a, b, c in rows])
