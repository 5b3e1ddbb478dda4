"""The repository: every statement the service runs, as a typed method (SQL text in ``queries``).

``Repository`` owns the pool: it opens a ``Session`` (one pooled connection, optionally one
transaction) for a unit of work, and runs the one-shot reads the browsing verbs need. ``Session``
runs the statements of a unit of work on its connection: locking a user's row, upserting a
rating, reading a history. Nothing outside ``storage`` executes SQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import psycopg
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow, args_row
from psycopg_pool import ConnectionPool

from personalization.errors import UnknownUser
from personalization.storage import queries as q
from personalization.storage.retry import ConcurrentChange
from personalization.storage.rows import (
    CommunitySums,
    DayCount,
    DayKindCount,
    EffectiveSignal,
    EmbeddingRow,
    Fan,
    FilmRow,
    GenreLove,
    HistoryRow,
    Overview,
    PreviousSignal,
    RatingRow,
    StarCount,
    StatusCounts,
    StoredWeights,
    UserSummary,
    Vector,
)
from personalization.storage.time_queries import timed_ratings

__all__ = [
    "Repository",
    "Session",
    "LockedEvent",
    "RatingUpsert",
    "EmbeddingUpdate",
    "embedding_update",
    "as_vector",
    "stored_weights",
]

RatingUpsert = tuple[int, int, float, datetime | None]  # user, film, stars, time (None: now)
EmbeddingUpdate = dict[str, Any]  # ``queries.UPDATE_EMBEDDING``'s parameters


def embedding_update(user_id: int, row: EmbeddingRow, at: datetime) -> EmbeddingUpdate:
    """The parameters that store ``row`` (vector and counters) as the user's, with ``at`` as
    their latest event (the stored one stays if it is later)."""
    return {
        "embedding": row.embedding,
        "dim": row.dim,
        "n_ratings": row.n_ratings,
        "n_feedback": row.n_feedback,
        "version": row.model_version,
        "at": at,
        "user_id": user_id,
    }


def as_vector(value: object) -> Vector:
    """A stored embedding as float32; anything unreadable becomes a NaN vector (which the
    engine's vector check refuses, and then rebuilds)."""
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        return np.full(1, np.nan, dtype=np.float32)


class LockedEvent(NamedTuple):
    """What an event's transaction reads under the user's locks (``Session.lock_event``)."""

    row: EmbeddingRow  # the user's embedding row, locked until the transaction ends
    previous: PreviousSignal  # what the user had said about the film
    n_signals: int  # films the user had a rating or a feedback on, before this event
    clock: datetime  # the database clock, read under the locks


def stored_weights(blend_weight: Any, model_weights: Any) -> StoredWeights | None:
    """A ``user_model_weights`` row's columns as ``StoredWeights`` (None: no row); the model
    weights as JSON text or as the decoded mapping."""
    if blend_weight is None:
        return None
    shares = json.loads(model_weights) if isinstance(model_weights, str) else model_weights
    return StoredWeights(float(blend_weight), {str(m): float(a) for m, a in dict(shares or {}).items()})


def _one(row: tuple[Any, ...] | None) -> Any:
    if row is None:  # every statement read with this returns exactly one row
        raise RuntimeError("expected one row")
    return row[0]


class Session:
    """The statements of one unit of work, on one pooled connection."""

    def __init__(self, conn: Connection[TupleRow]):
        self.conn = conn

    # -- a user's embedding row ------------------------------------------------------------------
    def lock_user(self, user_id: int, zero: Vector, version: str) -> EmbeddingRow:
        """Lock the user's embedding row until the transaction ends, creating the user (with the
        ``zero`` vector) on first sight. Every write for one user goes through this lock."""
        self.conn.execute(q.USER_LOCK, (user_id,))
        with self.conn.cursor(binary=True, row_factory=args_row(EmbeddingRow)) as cur:
            row = cur.execute(q.LOCK_EMBEDDING, (user_id,)).fetchone()
            if row is None:
                self._create_user(user_id, zero, version)
                row = cur.execute(q.LOCK_EMBEDDING, (user_id,)).fetchone()
        if row is None:  # forgotten by another transaction between our statements: run again
            raise ConcurrentChange(f"user {user_id}'s embedding row vanished under its lock")
        row.embedding = as_vector(row.embedding)
        return row

    def _create_user(self, user_id: int, zero: Vector, version: str) -> None:
        """The user's row and a ``zero`` embedding row, on first sight (under the user's lock)."""
        try:
            self.conn.execute(q.ENSURE_USER, (user_id,))
            self.conn.execute(q.ENSURE_EMBEDDING, (user_id, zero, len(zero), version))
        except psycopg.errors.ForeignKeyViolation as exc:  # the user was deleted in between
            raise ConcurrentChange(f"user {user_id} was forgotten while being created") from exc

    def lock_event(self, user_id: int, film_id: int, zero: Vector, version: str) -> LockedEvent:
        """``lock_user``, and in the same statement what an event on ``film_id`` needs to know
        (its previous signal, the user's signal count, the clock): two statements instead of four
        for a user who exists."""
        self.conn.execute(q.USER_LOCK, (user_id,))
        params = {"u": user_id, "f": film_id}
        with self.conn.cursor(binary=True) as cur:
            found = cur.execute(q.LOCK_EVENT, params).fetchone()
            if found is None:
                self._create_user(user_id, zero, version)
                found = cur.execute(q.LOCK_EVENT, params).fetchone()
        if found is None:  # forgotten by another transaction between our statements: run again
            raise ConcurrentChange(f"user {user_id}'s embedding row vanished under its lock")
        emb, dim, n_ratings, n_feedback, ver, last, stars, had_feedback, n_signals, clock = found
        row = EmbeddingRow(as_vector(emb), dim, n_ratings, n_feedback, ver, last)
        previous = PreviousSignal(None if stars is None else float(stars), bool(had_feedback))
        return LockedEvent(row, previous, int(n_signals), clock)

    def lock_users(self, user_ids: Sequence[int], zero: Vector, version: str) -> dict[int, EmbeddingRow]:
        """``lock_user`` for many users at once (in id order, so two bulk writers cannot deadlock)."""
        ids = sorted(set(user_ids))
        self.conn.execute(q.USER_LOCKS, (ids,))
        self.conn.execute(q.ENSURE_USERS, (ids,))
        self.conn.execute(q.ENSURE_EMBEDDINGS, (zero, len(zero), version, ids))
        out = {}
        with self.conn.cursor(binary=True) as cur:
            for user_id, emb, dim, n_r, n_f, ver, last in cur.execute(q.LOCK_EMBEDDINGS, (ids,)):
                out[int(user_id)] = EmbeddingRow(as_vector(emb), dim, n_r, n_f, ver, last)
        return out

    def read_embedding(self, user_id: int) -> EmbeddingRow | None:
        with self.conn.cursor(binary=True, row_factory=args_row(EmbeddingRow)) as cur:
            row = cur.execute(q.READ_EMBEDDING, (user_id,)).fetchone()
        if row is not None:
            row.embedding = as_vector(row.embedding)
        return row

    def store_embedding(self, user_id: int, row: EmbeddingRow, at: datetime, note: str) -> None:
        """Write the user's vector and counters, and send ``note`` to the other processes (it is
        delivered at commit), in one round trip."""
        self.conn.execute(q.UPDATE_EMBEDDING_NOTIFY, {**embedding_update(user_id, row, at), "note": note})

    def store_embeddings(self, updates: Sequence[EmbeddingUpdate]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(q.UPDATE_EMBEDDING, updates)

    def clock(self) -> datetime:
        value: datetime = _one(self.conn.execute(q.CLOCK).fetchone())
        return value

    def user_exists(self, user_id: int) -> bool:
        return bool(_one(self.conn.execute(q.USER_EXISTS, (user_id,)).fetchone()))

    # -- ratings and feedback --------------------------------------------------------------------
    def previous_signal(self, user_id: int, film_id: int) -> PreviousSignal:
        row = self.conn.execute(q.PREVIOUS_SIGNAL, {"u": user_id, "f": film_id}).fetchone()
        if row is None:
            raise RuntimeError("expected one row")
        stars, had_feedback = row
        return PreviousSignal(None if stars is None else float(stars), bool(had_feedback))

    def upsert_rating(self, user_id: int, film_id: int, stars: float, at: datetime | None) -> datetime:
        """Store the rating (replacing an earlier one); returns its time (``at``, or now)."""
        when: datetime = _one(self.conn.execute(q.UPSERT_RATING, (user_id, film_id, stars, at)).fetchone())
        return when

    def upsert_ratings(self, rows: Sequence[RatingUpsert]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(q.UPSERT_RATING, rows)

    def insert_feedback(
        self, user_id: int, film_id: int, kind: str, context: Mapping[str, Any], at: datetime | None
    ) -> datetime:
        context_json = json.dumps(dict(context), ensure_ascii=False, default=str)
        when: datetime = _one(
            self.conn.execute(q.INSERT_FEEDBACK, (user_id, film_id, kind, context_json, at)).fetchone()
        )
        return when

    def existing_ratings(
        self, users: Sequence[int], films: Sequence[int]
    ) -> dict[tuple[int, int], tuple[float, datetime]]:
        """The stored rating and its time for each (user, film) pair that has one."""
        rows = self.conn.execute(q.EXISTING_RATINGS, (list(users), list(films)))
        return {(u, f): (float(s), t) for u, f, s, t in rows}

    def users_with_feedback_on(self, users: Sequence[int], films: Sequence[int]) -> set[int]:
        return {int(r[0]) for r in self.conn.execute(q.USERS_WITH_FEEDBACK_ON, (list(users), list(films)))}

    def effective_signals(self, user_id: int) -> list[EffectiveSignal]:
        """One signal per film (the latest rating or feedback), oldest first."""
        with self.conn.cursor(row_factory=args_row(EffectiveSignal)) as cur:
            return cur.execute(q.EFFECTIVE_SIGNALS, {"u": user_id}).fetchall()

    def history(self, user_id: int) -> list[HistoryRow]:
        with self.conn.cursor(row_factory=args_row(HistoryRow)) as cur:
            return cur.execute(q.USER_HISTORY, {"u": user_id}).fetchall()

    def history_and_weights(self, user_id: int) -> tuple[list[HistoryRow], StoredWeights | None]:
        """``history`` and ``model_weights`` in one statement."""
        rows = self.conn.execute(q.USER_HISTORY_WEIGHTS, {"u": user_id}).fetchall()
        history = [HistoryRow(f, s, k) for f, s, k, _, _ in rows if f is not None]
        return history, stored_weights(rows[0][3], rows[0][4]) if rows else None

    def profile_inputs(self, user_id: int) -> tuple[bool, list[tuple[int, float, float]], StoredWeights | None]:
        """What a taste profile is computed from, in one statement: whether the user exists,
        their ``timed_ratings`` and their ``model_weights``."""
        rows = self.conn.execute(q.PROFILE_INPUTS, {"u": user_id}).fetchall()
        exists, blend_weight, model_weights = rows[0][:3]
        timed = [(int(f), float(s), float(t)) for _, _, _, f, s, t in rows if f is not None]
        return bool(exists), timed, stored_weights(blend_weight, model_weights)

    def count_signals(self, user_id: int) -> int:
        """Films the user rated or gave feedback on (what the threshold for personal picks counts)."""
        return int(_one(self.conn.execute(q.COUNT_SIGNALS, {"u": user_id}).fetchone()))

    def user_ratings(self, user_id: int) -> list[tuple[int, float]]:
        return [(int(f), float(s)) for f, s in self.conn.execute(q.USER_RATINGS, (user_id,))]

    def timed_ratings(self, user_id: int) -> list[tuple[int, float, float]]:
        """``(film, stars, Unix time)``, oldest first (``storage.time_queries``)."""
        return timed_ratings(self, user_id)

    # -- weights and profiles --------------------------------------------------------------------
    def model_weights(self, user_id: int) -> StoredWeights | None:
        row = self.conn.execute(q.MODEL_WEIGHTS, (user_id,)).fetchone()
        return None if row is None else stored_weights(row[0], row[1])

    def upsert_model_weights(self, user_id: int, blend_weight: float, model_weights: Mapping[str, float]) -> None:
        self.conn.execute(q.UPSERT_MODEL_WEIGHTS, (user_id, blend_weight, json.dumps(dict(model_weights))))

    def upsert_profile(self, user_id: int, profile: Mapping[str, Any], n_ratings: int) -> None:
        """Store a derived row: it need not wait for the disk (``synchronous_commit`` off). In a
        transaction, or alone as its own (a ``Repository.session``): one statement then."""
        alone = self.conn.autocommit
        if not alone:
            self.conn.execute(q.CACHE_WRITE)
        try:
            upsert = q.UPSERT_PROFILE_NO_WAIT if alone else q.UPSERT_PROFILE
            self.conn.execute(upsert, (user_id, json.dumps(dict(profile)), n_ratings))
        except psycopg.errors.ForeignKeyViolation:  # forgotten since the profile was read
            raise UnknownUser(user_id) from None

    # -- users, films, notes ---------------------------------------------------------------------
    def ensure_user(self, user_id: int) -> None:
        self.conn.execute(q.ENSURE_USER, (user_id,))

    def set_user_name(self, user_id: int, name: str) -> None:
        self.conn.execute(q.SET_USER_NAME, (name, user_id))

    def count_user_rows(self, user_id: int) -> int:
        return int(_one(self.conn.execute(q.COUNT_USER_ROWS, {"u": user_id}).fetchone()))

    def lock_existing_user(self, user_id: int) -> None:
        """Take the writers' locks (``lock_user``'s, in its order) and create nothing. ``forget``
        takes them first: deleting the user row while a writer holds the embedding row and waits
        for the user row is a deadlock."""
        self.conn.execute(q.USER_LOCK, (user_id,))
        self.conn.execute(q.LOCK_EMBEDDING, (user_id,)).fetchall()

    def delete_user(self, user_id: int) -> None:
        """Delete the user; the schema's ON DELETE CASCADE removes everything stored about them."""
        self.conn.execute(q.DELETE_USER, (user_id,))

    def upsert_films(self, rows: Sequence[Mapping[str, Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(q.UPSERT_MOVIE, rows)

    def upsert_engine_setting(self, key: str, value: Any) -> None:
        self.conn.execute(q.UPSERT_ENGINE_SETTING, (key, json.dumps(value)))

    def notify(self, payload: str) -> None:
        """Send ``payload`` to every listening process when this transaction commits."""
        self.conn.execute(q.NOTIFY, (payload,))


class Repository:
    """The pool, the units of work, and the one-shot reads."""

    def __init__(self, pool: ConnectionPool[Connection[TupleRow]]):
        self.pool = pool

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose statements commit together when the block ends, or not at all."""
        with self.pool.connection() as conn, conn.transaction():
            yield Session(conn)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and a derived write that is one statement, ``upsert_profile``)
        outside an explicit transaction: each statement runs on its own (autocommit) and sees
        what was committed when it began, as in a READ COMMITTED transaction, without the round
        trips of BEGIN and COMMIT. Writes that belong together take ``transaction``."""
        with self.pool.connection() as conn:
            conn.autocommit = True
            try:
                yield Session(conn)
            finally:
                if conn.pgconn.transaction_status == TransactionStatus.IDLE:
                    conn.autocommit = False  # the pool's next user expects the default
                else:  # broken: closed, so the pool replaces it rather than lend it out in autocommit
                    conn.close()

    # -- catalogue -------------------------------------------------------------------------------
    def films(self) -> list[FilmRow]:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(FilmRow)) as cur:
            return cur.execute(q.CATALOGUE).fetchall()

    def film(self, film_id: int) -> FilmRow | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(FilmRow)) as cur:
            return cur.execute(q.FILM, (film_id,)).fetchone()

    def search_films(self, text: str, limit: int) -> list[FilmRow]:
        """Films whose title contains ``text`` (taken literally), best matches first."""
        like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {"q": like, "text": text, "words": re.escape(text), "limit": limit}
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(FilmRow)) as cur:
            return cur.execute(q.SEARCH_FILMS, params).fetchall()

    def film_popularity(self) -> dict[int, int]:
        """How many ratings each rated film has."""
        with self.pool.connection() as conn:
            return {int(f): int(n) for f, n, _ in conn.execute(q.FILM_POPULARITY)}

    # -- ratings ---------------------------------------------------------------------------------
    def all_ratings(self) -> list[RatingRow]:
        """Every stored rating, oldest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(RatingRow)) as cur:
            return cur.execute(q.ALL_RATINGS).fetchall()

    def community_sums(self) -> CommunitySums:
        with self.pool.connection() as conn:
            row = conn.execute(q.COMMUNITY_SUMS).fetchone()
        if row is None:
            raise RuntimeError("expected one row")
        return CommunitySums(int(row[0]), float(row[1]), float(row[2]))

    def effective_signals(self, user_id: int) -> list[EffectiveSignal]:
        with self.session() as session:
            return session.effective_signals(user_id)

    # -- browsing --------------------------------------------------------------------------------
    def search_users(self, text: str, limit: int) -> list[UserSummary]:
        """Users whose id is ``text`` or whose name contains it, most ratings first."""
        with self.pool.connection() as conn:
            rows = conn.execute(q.SEARCH_USERS, {"q": text, "limit": limit}).fetchall()
        return [UserSummary(id=u, name=n, n_ratings=r, n_feedback=f) for u, n, r, f in rows]

    def film_fans(self, film_id: int, min_stars: float, limit: int) -> list[Fan]:
        with self.pool.connection() as conn:
            rows = conn.execute(q.FILM_FANS, (film_id, min_stars, limit)).fetchall()
        return [Fan(user_id=u, name=n, stars=float(s)) for u, n, s in rows]

    def embeddings(self, min_ratings: int, version: str) -> list[tuple[int, Vector]]:
        """Every user's taste vector made under ``version``, for users with enough ratings."""
        with self.pool.connection() as conn:
            rows = conn.execute(q.ALL_EMBEDDINGS, (min_ratings, version)).fetchall()
        return [(int(u), as_vector(e)) for u, e, _ in rows]

    def overview(self) -> Overview:
        with self.pool.connection() as conn:
            return Overview(
                ratings_per_day=[DayCount(d, int(n)) for d, n in conn.execute(q.RATINGS_PER_DAY)],
                feedback_per_day=[DayKindCount(d, k, int(n)) for d, k, n in conn.execute(q.FEEDBACK_PER_DAY)],
                star_distribution=[StarCount(float(s), int(n)) for s, n in conn.execute(q.STAR_DISTRIBUTION)],
                genres=[GenreLove(g, int(lv), int(r), float(a or 0.0)) for g, lv, r, a in conn.execute(q.GENRE_LOVE)],
            )

    def status_counts(self, min_ratings: int) -> StatusCounts:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(StatusCounts)) as cur:
            row = cur.execute(q.STATUS_COUNTS, (min_ratings,)).fetchone()
        if row is None:
            raise RuntimeError("expected one row")
        return row._replace(model_versions=list(row.model_versions))

    # -- engine-wide settings --------------------------------------------------------------------
    def engine_setting(self, key: str) -> Any | None:
        with self.pool.connection() as conn:
            row = conn.execute(q.ENGINE_SETTING, (key,)).fetchone()
        return None if row is None else row[0]

    def set_engine_setting(self, key: str, value: Any, note: str) -> None:
        """Store the setting and send ``note`` to the other processes, in one transaction."""
        with self.transaction() as session:
            session.upsert_engine_setting(key, value)
            session.notify(note)
