"""What a new member's first cards are chosen from: each rated film's opinion counts.

The SQL and its one reader (``opinion_stats``). The bins are ``core.onboarding.opinion_bins``':
disliked (2 stars or less), middling (2.5 to 3.5), liked (4 or more).
"""

from __future__ import annotations

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from personalization.core.onboarding import OpinionStats

__all__ = ["OPINION_COUNTS", "opinion_stats"]

OPINION_COUNTS = """
SELECT movie_id,
       count(*) FILTER (WHERE stars <= 2),
       count(*) FILTER (WHERE stars > 2 AND stars < 4),
       count(*) FILTER (WHERE stars >= 4)
FROM ratings GROUP BY movie_id ORDER BY movie_id"""


def opinion_stats(pool: ConnectionPool[Connection[TupleRow]]) -> OpinionStats:
    """Every rated film's (disliked, middling, liked) counts, one scan of the ratings."""
    with pool.connection() as conn:
        rows = conn.execute(OPINION_COUNTS).fetchall()
    return OpinionStats.from_rows([(int(f), int(a), int(b), int(c)) for f, a, b, c in rows])
