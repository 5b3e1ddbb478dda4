"""Bulk ingestion's statements: a staging table filled by COPY, streamed back in user order, and
the set-wise reads and writes of one chunk of users (SQL text in ``ingest_queries``).

Rows travel as CSV that Polars writes and parses (COPY's text path), so no Python object is made
per rating: this is what lets an import run at the speed of PostgreSQL's COPY and its indexes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from psycopg import Connection
from psycopg.rows import TupleRow

from personalization.storage import ingest_queries as q
from personalization.storage.repository import Repository, Session

__all__ = ["RatingArrays", "Staging", "staging", "ratings_of_users", "upsert_ratings", "effective_signals_of_users"]

BLOCK_BYTES = 8 << 20  # CSV read back from the staging table per block (about 300,000 ratings)
_SCHEMA = {"user_id": pl.Int64, "movie_id": pl.Int64, "stars": pl.Float64, "at": pl.Float64}


@dataclass(frozen=True)
class RatingArrays:
    """Ratings as columns: user, film, stars, unix seconds."""

    users: npt.NDArray[np.int64]
    films: npt.NDArray[np.int64]
    stars: npt.NDArray[np.float64]
    at: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.users)

    def take(self, index: npt.NDArray[np.intp] | slice) -> RatingArrays:
        return RatingArrays(self.users[index], self.films[index], self.stars[index], self.at[index])

    @staticmethod
    def concat(parts: list[RatingArrays]) -> RatingArrays:
        return RatingArrays(
            np.concatenate([p.users for p in parts]),
            np.concatenate([p.films for p in parts]),
            np.concatenate([p.stars for p in parts]),
            np.concatenate([p.at for p in parts]),
        )

    @staticmethod
    def of_frame(df: pl.DataFrame) -> RatingArrays:
        return RatingArrays(
            df["user_id"].to_numpy().astype(np.int64),
            df["movie_id"].to_numpy().astype(np.int64),
            df["stars"].to_numpy().astype(np.float64),
            df["at"].to_numpy().astype(np.float64),
        )

    def csv(self, seq_start: int | None = None) -> bytes:
        columns: dict[str, npt.NDArray[np.generic]] = {
            "user_id": self.users,
            "movie_id": self.films,
            "stars": self.stars.astype(np.float32),
            "at": self.at,
        }
        if seq_start is not None:
            columns["seq"] = np.arange(seq_start, seq_start + len(self), dtype=np.int64)
        buffer = io.BytesIO()
        pl.DataFrame(columns).write_csv(buffer, include_header=False)
        return buffer.getvalue()


class Staging:
    """The ratings of one import in a temporary table on one dedicated connection: filled block
    by block (nothing in the engine's tables changes), then read back each user's together."""

    def __init__(self, conn: Connection[TupleRow]):
        self.conn = conn
        self.rows = 0
        conn.execute(q.CREATE_STAGING)
        conn.execute(q.TRUNCATE_STAGING)
        conn.commit()

    def add(self, ratings: RatingArrays) -> None:
        with self.conn.cursor() as cur, cur.copy(q.COPY_INTO_STAGING) as copy:
            copy.write(ratings.csv(seq_start=self.rows))
        self.conn.commit()
        self.rows += len(ratings)

    def by_user(self, block_bytes: int | None = None) -> Iterator[RatingArrays]:
        """Every staged rating, ordered by user then time (ties in file order), in blocks that
        never split a user's ratings."""
        pending = bytearray()
        held: RatingArrays | None = None
        with self.conn.cursor() as cur, cur.copy(q.COPY_STAGING_BY_USER) as copy:
            for data in copy:
                pending += data
                if len(pending) < (block_bytes or BLOCK_BYTES):
                    continue
                cut = pending.rfind(b"\n") + 1
                block = _parse(bytes(pending[:cut]))
                del pending[:cut]
                if held is not None:
                    block = RatingArrays.concat([held, block])
                last = block.users[-1]
                start = int(np.searchsorted(block.users, last))  # the last user may go on
                held = block.take(slice(start, None))
                if start:
                    yield block.take(slice(0, start))
        rest = [p for p in (held, _parse(bytes(pending)) if pending else None) if p is not None]
        if rest:
            yield RatingArrays.concat(rest)
        self.conn.commit()

    def drop(self) -> None:
        self.conn.execute(q.DROP_STAGING)
        self.conn.commit()


def _parse(data: bytes) -> RatingArrays:
    return RatingArrays.of_frame(pl.read_csv(data, has_header=False, new_columns=list(_SCHEMA), schema=_SCHEMA))


def ratings_of_users(session: Session, users: npt.NDArray[np.int64]) -> RatingArrays:
    """Every stored rating of these users."""
    rows = session.conn.execute(q.RATINGS_OF_USERS, (users.tolist(),)).fetchall()
    if not rows:
        empty = np.zeros(0)
        return RatingArrays(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    u, f, s, t = zip(*rows)
    return RatingArrays(np.array(u, np.int64), np.array(f, np.int64), np.array(s, np.float64), np.array(t, np.float64))


def upsert_ratings(session: Session, ratings: RatingArrays) -> None:
    """Store these ratings (at most one per user and film), replacing stored ones: COPY into a
    temporary table, then one INSERT ... ON CONFLICT."""
    session.conn.execute(q.CREATE_APPLIED)
    with session.conn.cursor() as cur, cur.copy(q.COPY_INTO_APPLIED) as copy:
        copy.write(ratings.csv())
    session.conn.execute(q.UPSERT_APPLIED)


def effective_signals_of_users(session: Session, users: list[int]) -> list[tuple[int, int, float | None, str | None]]:
    """Each user's effective signals (one per film: the latest rating or feedback), oldest first."""
    rows = session.conn.execute(q.EFFECTIVE_SIGNALS_OF_USERS, {"u": users}).fetchall()
    return [(int(u), int(f), None if s is None else float(s), k) for u, f, s, k in rows]


@contextmanager
def staging(repo: Repository) -> Iterator[Staging]:
    """A ``Staging`` on a pooled connection of its own, dropped at the end."""
    with repo.pool.connection() as conn:
        stage = Staging(conn)
        try:
            yield stage
        finally:
            if not conn.closed:
                conn.rollback()
                stage.drop()
