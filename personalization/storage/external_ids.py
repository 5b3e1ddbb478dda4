"""A film's ids in other catalogues (IMDb, TMDb, MovieLens): the ``film_external_ids`` table.

The table is the lookup the importers use (one film per id and source, enforced by the
database); the same ids are also copied into each film's metadata (``imdb_id``, ``tmdb_id``,
``movielens_id``) when the film is imported, so every film read carries its links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from personalization.storage import catalogue_queries as q

__all__ = ["SOURCES", "METADATA_KEYS", "ExternalIds", "rows_from_metadata"]

SOURCES = ("imdb", "tmdb", "movielens")
METADATA_KEYS = {source: f"{source}_id" for source in SOURCES}  # "imdb" -> "imdb_id"

ExternalIdRow = tuple[int, str, str]  # film id, source, its id there


def rows_from_metadata(films: Iterable[tuple[int, Mapping[str, Any]]]) -> list[ExternalIdRow]:
    """``(film, source, id)`` for each ``<source>_id`` in each film's metadata."""
    rows: list[ExternalIdRow] = []
    for film_id, metadata in films:
        for source, key in METADATA_KEYS.items():
            value = metadata.get(key) if metadata else None
            if value not in (None, ""):
                rows.append((film_id, source, str(value)))
    return rows


class ExternalIds:
    """Reads and writes of ``film_external_ids`` on the engine's pool."""

    def __init__(self, pool: ConnectionPool[Connection[TupleRow]]):
        self.pool = pool

    def store(self, rows: Sequence[ExternalIdRow]) -> int:
        """Store ``(film, source, id)`` rows in one transaction; the films must exist. An id held
        by another film moves to this one, and a film's id for a source is replaced."""
        latest: dict[tuple[str, str], ExternalIdRow] = {}
        for film_id, source, value in rows:
            if source not in SOURCES:
                raise ValueError(f"unknown external id source {source!r}; expected one of {', '.join(SOURCES)}")
            latest[(source, value)] = (film_id, source, value)
        by_film = {(f, s): (f, s, v) for f, s, v in latest.values()}  # one id per film and source
        if not by_film:
            return 0
        params = {
            "films": [r[0] for r in by_film.values()],
            "sources": [r[1] for r in by_film.values()],
            "values": [r[2] for r in by_film.values()],
        }
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(q.RELEASE_EXTERNAL_IDS, params)
            conn.execute(q.UPSERT_EXTERNAL_IDS, params)
        return len(by_film)

    def films_for(self, source: str, values: Iterable[str]) -> dict[str, int]:
        """``{external id: film id}`` for the ids the database knows."""
        wanted = sorted({str(v) for v in values})
        if not wanted:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(q.FILMS_BY_EXTERNAL_ID, {"source": source, "values": wanted}).fetchall()
        return {str(value): int(film) for value, film in rows}

    def of_film(self, film_id: int) -> dict[str, str]:
        """``{source: id}`` for one film (empty when it has none)."""
        with self.pool.connection() as conn:
            return {str(s): str(v) for s, v in conn.execute(q.EXTERNAL_IDS_OF_FILM, (film_id,)).fetchall()}
