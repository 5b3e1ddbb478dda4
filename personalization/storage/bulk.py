"""Bulk ingestion's statements: a staging table filled by COPY, streamed back in user order, and
the set-wise reads and writes of one chunk of users (SQL text in ``ingest_queries``).

Rows travel in COPY's binary format, written by numpy as one structured array (fixed-width
fields, network byte order), so no Python object is made per rating and PostgreSQL parses no
text (no number or timestamp parsing): the COPY costs what its heap and indexes cost.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from psycopg import Connection
from psycopg.adapt import Buffer, Loader
from psycopg.pq import Format
from psycopg.rows import TupleRow

from personalization.errors import CineSyncError
from personalization.storage import ingest_queries as q
from personalization.storage.repository import Repository, Session

__all__ = [
    "RatingArrays",
    "Staging",
    "staging",
    "ratings_of_users",
    "insert_ratings",
    "feedback_of_users",
    "effective_signals_of_users",
]

BLOCK_RATINGS = 200_000  # ratings read back from the staging table per block (whole users)
_ARRAY_DTYPES = {1007: "i4", 1016: "i8", 1022: "f8"}  # int4[], int8[], float8[] oids
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
_COPY_TRAILER = b"\xff\xff"
_POSTGRES_EPOCH_US = 946_684_800 * 1_000_000  # timestamptz counts microseconds from 2000-01-01 UTC
_INT4 = (-(2**31), 2**31 - 1)


class BinaryCopy:
    """COPY's binary format of equally long NULL-free columns, each ``(numpy type, values)`` with
    a fixed-width big-endian type (``>i8`` bigint and timestamptz in microseconds since 2000,
    ``>i4`` integer, ``>f4`` real, ``>f8`` double precision), made ``ROWS_PER_WRITE`` rows at a
    time (a few MB however many rows)."""

    ROWS_PER_WRITE = 65_536

    def __init__(self, columns: list[tuple[str, npt.NDArray[np.generic]]]):
        fields = [("count", ">i2")]
        for i, (kind, values) in enumerate(columns):
            fields += [(f"size{i}", ">i4"), (f"value{i}", kind)]
            if kind == ">i4" and len(values) and (values.min() < _INT4[0] or values.max() > _INT4[1]):
                raise ValueError("a value does not fit an integer column")
        self.columns, self.dtype = columns, np.dtype(fields)

    def parts(self) -> Iterator[bytes | memoryview]:
        yield _COPY_HEADER
        n = len(self.columns[0][1]) if self.columns else 0
        rows = np.empty(min(n, self.ROWS_PER_WRITE), self.dtype)
        rows["count"] = len(self.columns)
        for i, (kind, _) in enumerate(self.columns):
            rows[f"size{i}"] = np.dtype(kind).itemsize
        for start in range(0, n, self.ROWS_PER_WRITE):
            part = rows[: min(self.ROWS_PER_WRITE, n - start)]
            for i, (_, values) in enumerate(self.columns):
                part[f"value{i}"] = values[start : start + len(part)]
            yield part.view(np.uint8).data
        yield _COPY_TRAILER

    def send(self, conn: Connection[TupleRow], statement: str) -> None:
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for part in self.parts():
                copy.write(part)


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

    def copy_rows(self, seq_start: int | None = None, *, dated: bool = False) -> BinaryCopy:
        """``BinaryCopy`` of user (bigint), film (integer), stars (real) and the time: unix
        seconds (double precision), or (``dated``) a timestamptz to the microsecond; with
        ``seq_start``, a running number (bigint) after the columns."""
        at: tuple[str, npt.NDArray[np.generic]] = (">f8", self.at)
        if dated:
            at = (">i8", np.round(self.at * 1_000_000).astype(np.int64) - _POSTGRES_EPOCH_US)
        columns: list[tuple[str, npt.NDArray[np.generic]]] = [
            (">i8", self.users),
            (">i4", self.films),
            (">f4", self.stars.astype(np.float32)),
            at,
        ]
        if seq_start is not None:
            columns.append((">i8", np.arange(seq_start, seq_start + len(self), dtype=np.int64)))
        return BinaryCopy(columns)


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
        ratings.copy_rows(seq_start=self.rows).send(self.conn, q.COPY_INTO_STAGING)
        self.conn.commit()
        self.rows += len(ratings)

    def by_user(self, block_ratings: int | None = None) -> Iterator[RatingArrays]:
        """Every staged rating, ordered by user then time (ties in file order), in blocks of
        about ``block_ratings`` that never split a user's ratings."""
        target = block_ratings or BLOCK_RATINGS
        parts: list[RatingArrays] = []
        size = 0
        with self.conn.transaction(), self.conn.cursor(name="ingest_by_user", binary=True) as cur:
            for oid, dtype in _ARRAY_DTYPES.items():
                cur.adapters.register_loader(oid, _array_loader(dtype))
            cur.itersize = 1000
            for user, films, stars, at in cur.execute(q.STAGING_BY_USER):
                n = len(films)
                parts.append(RatingArrays(np.full(n, user, np.int64), films.astype(np.int64), stars, at))
                size += n
                if size >= target:
                    yield RatingArrays.concat(parts)
                    parts, size = [], 0
        if parts:
            yield RatingArrays.concat(parts)

    def drop(self) -> None:
        self.conn.execute(q.DROP_STAGING)
        self.conn.commit()


def _array_loader(dtype: str) -> type[Loader]:
    """A binary loader of a NULL-free one-dimensional array of fixed-size values as numpy."""
    pairs = np.dtype([("length", ">i4"), ("value", ">" + dtype)])

    class ArrayLoader(Loader):
        format = Format.BINARY

        def load(self, data: Buffer) -> npt.NDArray[np.generic]:
            raw = bytes(data)
            ndim, has_null, _ = struct.unpack_from(">iii", raw)
            if ndim == 0:
                return np.zeros(0, dtype=dtype)
            if ndim != 1 or has_null:
                raise ValueError("expected a one-dimensional array without NULLs")
            length = struct.unpack_from(">i", raw, 12)[0]
            values: npt.NDArray[np.generic] = np.frombuffer(raw, dtype=pairs, count=length, offset=20)["value"]
            return values.astype(dtype)

    return ArrayLoader


def ratings_of_users(session: Session, users: npt.NDArray[np.int64]) -> RatingArrays:
    """Every stored rating of these users."""
    rows = session.conn.execute(q.RATINGS_OF_USERS, (users.tolist(),)).fetchall()
    if not rows:
        empty = np.zeros(0)
        return RatingArrays(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    u, f, s, t = zip(*rows)
    return RatingArrays(np.array(u, np.int64), np.array(f, np.int64), np.array(s, np.float64), np.array(t, np.float64))


def insert_ratings(session: Session, ratings: RatingArrays, replaced: RatingArrays) -> None:
    """Store ratings (at most one per user and film): ``ratings`` are new (COPY straight into
    the table), ``replaced`` replace stored ones (COPY into a temporary table, one UPDATE). The
    caller holds the users' locks, so no other writer adds one of these ratings meanwhile, and
    has checked that every film exists and created every user (the foreign keys hold)."""
    if len(ratings):
        row = session.conn.execute(q.IS_SUPERUSER).fetchone()
        skip = bool(row and row[0])
        if skip:
            session.conn.execute(q.SKIP_TRIGGERS)  # the keys are known good (see the query's note)
        # In primary-key order: each key lands after the one before (for new users, on the
        # index's rightmost page, which PostgreSQL keeps at hand), about 10% less of the COPY's
        # cost measured here. The heap stays grouped by user.
        in_key_order = ratings.take(np.lexsort((ratings.films, ratings.users)))
        in_key_order.copy_rows(dated=True).send(session.conn, q.COPY_INTO_RATINGS)
        if skip:
            session.conn.execute(q.RUN_TRIGGERS)
    if len(replaced):
        session.conn.execute(q.CREATE_REPLACED)
        replaced.copy_rows(dated=True).send(session.conn, q.COPY_INTO_REPLACED)
        session.conn.execute(q.UPDATE_REPLACED)


def feedback_of_users(session: Session, users: npt.NDArray[np.int64]) -> set[tuple[int, int]]:
    """The (user, film) pairs these users gave feedback on."""
    rows = session.conn.execute(q.FEEDBACK_OF_USERS, (users.tolist(),)).fetchall()
    return {(int(u), int(f)) for u, f in rows}


def effective_signals_of_users(session: Session, users: list[int]) -> list[tuple[int, int, float | None, str | None]]:
    """Each user's effective signals (one per film: the latest rating or feedback), oldest first."""
    rows = session.conn.execute(q.EFFECTIVE_SIGNALS_OF_USERS, {"u": users}).fetchall()
    return [(int(u), int(f), None if s is None else float(s), k) for u, f, s, k in rows]


@contextmanager
def staging(repo: Repository) -> Iterator[Staging]:
    """A ``Staging`` on a pooled connection of its own, dropped at the end. The import's writes
    take a second connection from the pool meanwhile."""
    if repo.pool.max_size < 2:
        raise CineSyncError("a file import needs two database connections: set CINESYNC_POOL_MAX to 2 or more")
    with repo.pool.connection() as conn:
        stage = Staging(conn)
        try:
            yield stage
        finally:
            if not conn.closed:
                conn.rollback()
                stage.drop()
