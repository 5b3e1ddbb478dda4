"""The SQL behind a new member's first cards (read by ``storage.onboarding``)."""

from __future__ import annotations

__all__ = ["OPINION_COUNTS"]

# Each rated film's (disliked, middling, liked) counts: core.onboarding.opinion_bins' bins.
OPINION_COUNTS = """
SELECT movie_id,
       count(*) FILTER (WHERE stars <= 2),
       count(*) FILTER (WHERE stars > 2 AND stars < 4),
       count(*) FILTER (WHERE stars >= 4)
FROM ratings GROUP BY movie_id ORDER BY movie_id"""
