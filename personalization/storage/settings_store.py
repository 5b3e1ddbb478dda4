"""The settings history: numbered versions of each engine-wide setting (SQL in ``settings_queries``).

``record`` writes a new version, the mirror row in ``engine_settings`` and a note to the other
processes in one transaction; ``current`` reads the value in force. Nothing here validates a
value: the service does (``service.settings``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import TupleRow, args_row
from psycopg_pool import ConnectionPool

from personalization.storage import settings_queries as sq

__all__ = ["SettingsVersion", "SettingsStore"]


@dataclass(frozen=True)
class SettingsVersion:
    """One stored version of a setting: its value and what changed, when, from where, by whom."""

    key: str
    version: int
    value: Any
    changes: dict[str, Any]
    source: str
    author: str
    created_at: datetime


class SettingsStore:
    """Versions of engine-wide settings, over the service's pool."""

    def __init__(self, pool: ConnectionPool[Connection[TupleRow]]):
        self.pool = pool

    def current(self, key: str) -> Any | None:
        """The value in force (the newest version), or None when nothing was ever saved."""
        with self.pool.connection() as conn:
            row = conn.execute(sq.CURRENT, {"key": key}).fetchone()
        return None if row is None else row[0]

    def record(
        self, key: str, value: Any, *, changes: Mapping[str, Any], source: str, author: str, note: str
    ) -> SettingsVersion:
        """Store ``value`` as the key's next version (and in ``engine_settings``) and send ``note``
        to the other processes when it commits."""
        encoded = json.dumps(value)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(sq.LOCK_KEY, (key,))
            row = conn.execute(sq.NEXT_VERSION, (key,)).fetchone()
            version = int(row[0]) if row is not None else 1
            params = {
                "key": key,
                "version": version,
                "value": encoded,
                "changes": json.dumps(dict(changes)),
                "source": source,
                "author": author,
            }
            with conn.cursor(row_factory=args_row(SettingsVersion)) as cur:
                stored = cur.execute(sq.INSERT_VERSION, params).fetchone()
            conn.execute(sq.UPSERT_MIRROR, (key, encoded))
            conn.execute(sq.NOTIFY, (note,))
        if stored is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return stored

    def history(self, key: str, limit: int = 50) -> list[SettingsVersion]:
        """The key's versions, newest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(SettingsVersion)) as cur:
            return cur.execute(sq.HISTORY, (key, limit)).fetchall()

    def version(self, key: str, version: int) -> SettingsVersion | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=args_row(SettingsVersion)) as cur:
            return cur.execute(sq.VERSION, (key, version)).fetchone()
