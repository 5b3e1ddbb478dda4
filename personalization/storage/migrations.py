"""Versioned migrations: ``sql/V{n}__{reason}.sql`` applied in order, recorded, safe to re-run.

All pending files are applied in one transaction under an advisory lock, so a second
``cinesync db migrate`` running at the same time waits and then finds nothing left to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from personalization.storage import queries as q

__all__ = ["Migration", "discover", "migrate", "migration_status", "SQL_DIR"]

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_NAME = re.compile(r"^V(\d+)__([A-Za-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path = SQL_DIR) -> list[Migration]:
    found = []
    for path in sorted(Path(directory).glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"{path.name}: migration files are named V<number>__<reason>.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a version in {directory}")
    return found


def migrate(pool: ConnectionPool[Any], directory: Path = SQL_DIR) -> list[Migration]:
    """Apply what is pending; return what was applied (empty when up to date)."""
    applied_now = []
    with pool.connection() as conn, conn.transaction():
        conn.execute(q.MIGRATION_LOCK)
        conn.execute(q.CREATE_MIGRATIONS_TABLE)
        done = {row[0] for row in conn.execute(q.APPLIED_MIGRATIONS)}
        for mig in discover(directory):
            if mig.version in done:
                continue
            conn.execute(mig.path.read_text(encoding="utf-8"))
            conn.execute(q.RECORD_MIGRATION, (mig.version, mig.name))
            applied_now.append(mig)
    return applied_now


def migration_status(pool: ConnectionPool[Any], directory: Path = SQL_DIR) -> list[tuple[Migration, bool]]:
    with pool.connection() as conn:
        exists = conn.execute(q.MIGRATIONS_TABLE_EXISTS).fetchone()[0]
        done = {row[0] for row in conn.execute(q.APPLIED_MIGRATIONS)} if exists else set()
    return [(m, m.version in done) for m in discover(directory)]
