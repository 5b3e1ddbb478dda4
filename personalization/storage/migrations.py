"""Versioned migrations: ``sql/V{n}__{reason}.sql`` applied in order, recorded, safe to re-run.

The top-level ``sql/`` folder is the source; a built wheel (``pip install .``) carries a copy as
``personalization/storage/sql/`` (see setup.py), found with importlib.resources. An editable
install or a plain checkout has no such copy and reads the checkout's ``sql/``.

All pending files are applied in one transaction under an advisory lock, so a second
``cinesync db migrate`` running at the same time waits and then finds nothing left to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from personalization.storage import queries as q

__all__ = ["Migration", "discover", "migrate", "migration_status", "migrations_dir", "SQL_DIR"]

_CHECKOUT_SQL = Path(__file__).resolve().parents[2] / "sql"


def migrations_dir() -> Path:
    """Where the migrations are: inside the installed package, else the checkout's ``sql/``."""
    packaged = resources.files("personalization.storage") / "sql"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged.resolve()
    if _CHECKOUT_SQL.is_dir():
        return _CHECKOUT_SQL
    raise FileNotFoundError(
        f"no migrations found (neither {packaged} nor {_CHECKOUT_SQL}): reinstall cinesync-personalization"
    )


SQL_DIR = migrations_dir()
_NAME = re.compile(r"^V(\d+)__([A-Za-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path | None = None) -> list[Migration]:
    """The migrations in ``directory`` (default ``SQL_DIR``, read when called), in order."""
    directory = SQL_DIR if directory is None else directory
    found = []
    for path in sorted(Path(directory).glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"{path.name}: migration files are named V<number>__<reason>.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    if not found:  # never report "up to date" on a database that got no schema
        raise ValueError(f"no migrations in {directory}: reinstall cinesync-personalization")
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a version in {directory}")
    return found


def migrate(pool: ConnectionPool[Any], directory: Path | None = None) -> list[Migration]:
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


def migration_status(pool: ConnectionPool[Any], directory: Path | None = None) -> list[tuple[Migration, bool]]:
    with pool.connection() as conn:
        exists = conn.execute(q.MIGRATIONS_TABLE_EXISTS).fetchone()[0]
        done = {row[0] for row in conn.execute(q.APPLIED_MIGRATIONS)} if exists else set()
    return [(m, m.version in done) for m in discover(directory)]
