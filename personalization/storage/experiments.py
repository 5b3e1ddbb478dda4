"""A/B tests in PostgreSQL (``experiments``, ``experiment_exposures``; sql/V005) and a member's
own data: every row of every table that holds their id, read back as JSON objects."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg import Connection, sql
from psycopg.rows import TupleRow, args_row
from psycopg_pool import ConnectionPool

from personalization.errors import CineSyncError
from personalization.storage import experiment_queries as q

__all__ = ["ExperimentRow", "OutcomeRow", "UserIdColumn", "ExperimentStore"]


class ExperimentRow(NamedTuple):
    id: int
    name: str
    description: str
    variants: list[dict[str, Any]]  # [{"name": ..., "settings": {...}}], the control first
    status: str
    created_at: datetime
    stopped_at: datetime | None


class OutcomeRow(NamedTuple):
    variant: str
    user_id: int
    shown: int  # distinct picks shown
    acted: int  # ... rated or reacted to after being shown
    liked: int  # ... rated 4+ stars, loved or liked after being shown


class UserIdColumn(NamedTuple):
    table: str
    column: str
    is_array: bool
    is_text: bool


class ExperimentStore:
    """Reads and writes of the A/B tables, and the per-member reads of ``user_rows``."""

    def __init__(self, pool: ConnectionPool[Connection[TupleRow]]):
        self.pool = pool

    # -- experiments -------------------------------------------------------------------------------
    def create(self, name: str, description: str, variants: Sequence[Mapping[str, Any]]) -> ExperimentRow:
        try:
            with self.pool.connection() as conn, conn.cursor(row_factory=args_row(ExperimentRow)) as cur:
                row = cur.execute(q.CREATE_EXPERIMENT, (name, description, json.dumps(list(variants)))).fetchone()
        except psycopg.errors.UniqueViolation:
            raise CineSyncError(
                f"an experiment named {name!r} exists already: choose another name (`cinesync ab list`)"
            ) from None
        if row is None:
            raise RuntimeError("expected one row")
        return row

    def all(self) -> list[ExperimentRow]:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(ExperimentRow)) as cur:
            return cur.execute(q.EXPERIMENTS).fetchall()

    def running(self) -> list[ExperimentRow]:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(ExperimentRow)) as cur:
            return cur.execute(q.RUNNING_EXPERIMENTS).fetchall()

    def get(self, name: str) -> ExperimentRow | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(ExperimentRow)) as cur:
            return cur.execute(q.EXPERIMENT, (name,)).fetchone()

    def stop(self, name: str) -> ExperimentRow | None:
        """Stop a running experiment; None when none of that name is running."""
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(ExperimentRow)) as cur:
            return cur.execute(q.STOP_EXPERIMENT, (name,)).fetchone()

    # -- exposures and outcomes --------------------------------------------------------------------
    def log_exposures(self, experiment_id: int, variant: str, user_id: int, film_ids: Sequence[int]) -> None:
        """The picks shown to a member, in rank order, in one transaction (creating the member's
        users row if need be, so that forgetting them removes these rows too)."""
        if not film_ids:
            return
        params = {"experiment": experiment_id, "variant": variant, "user": user_id, "films": list(film_ids)}
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(q.ENSURE_MEMBER, (user_id,))
            conn.execute(q.INSERT_EXPOSURES, params)

    def exposure_counts(self) -> dict[int, tuple[int, int]]:
        """``{experiment id: (exposures, members)}``."""
        with self.pool.connection() as conn:
            return {int(e): (int(n), int(m)) for e, n, m in conn.execute(q.EXPOSURE_COUNTS)}

    def outcomes(self, experiment_id: int) -> list[OutcomeRow]:
        """Per member: picks shown, and of those the ones acted on and liked after being shown."""
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(OutcomeRow)) as cur:
            return cur.execute(q.OUTCOMES, {"experiment": experiment_id}).fetchall()

    # -- a member's own data -----------------------------------------------------------------------
    def user_id_columns(self) -> list[UserIdColumn]:
        """Every column that holds a user id, in every table of the schema (see the query)."""
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(UserIdColumn)) as cur:
            return cur.execute(q.USER_ID_COLUMNS).fetchall()

    def _by_table(self) -> dict[str, sql.Composable]:
        """``{table: condition}`` matching the member ``%(u)s`` in any of its user-id columns."""
        tables: dict[str, list[sql.Composable]] = {}
        for column in self.user_id_columns():
            name = sql.Identifier(column.column)
            if column.is_array:
                test = sql.SQL("%(u)s = ANY (t.{})").format(name)
            elif column.is_text:
                test = sql.SQL("t.{} = %(u)s::text").format(name)
            else:
                test = sql.SQL("t.{} = %(u)s").format(name)
            tables.setdefault(column.table, []).append(test)
        return {t: sql.SQL(" OR ").join(tests) for t, tests in tables.items()}

    def user_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """``{table: [row as a JSON object, ...]}`` for every table holding the member's id
        (tables without a row of theirs are left out), read in one snapshot."""
        out: dict[str, list[dict[str, Any]]] = {}
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(q.SNAPSHOT)
            for table, condition in self._by_table().items():
                query = sql.SQL(q.ROWS_OF_USER).format(table=sql.Identifier(table), condition=condition)
                rows = [r[0] for r in conn.execute(query, {"u": user_id})]
                if rows:
                    out[table] = rows
        return out

    def count_user_rows(self, user_id: int) -> dict[str, int]:
        """``{table: rows holding the member's id}`` for every such table (0s included)."""
        out: dict[str, int] = {}
        with self.pool.connection() as conn:
            for table, condition in self._by_table().items():
                query = sql.SQL(q.COUNT_ROWS_OF_USER).format(table=sql.Identifier(table), condition=condition)
                row = conn.execute(query, {"u": user_id}).fetchone()
                out[table] = int(row[0]) if row else 0
        return out
