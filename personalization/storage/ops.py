"""Operations on a whole database: the health check, pg_dump / pg_restore, and loading the rows
of a Parquet export back (``cinesync db dump|restore``, ``cinesync import parquet``).

pg_dump and pg_restore come from the embedded server's installation (pgserver bundles
PostgreSQL 16's), for a database given by URL too: pg_dump must be at least as new as the server
it dumps, and a system's client (Debian 12 ships 15) is often older. Without pgserver, the
system's are used; ``CINESYNC_PG_BIN`` names another folder holding them (e.g. a newer server's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import Connection, sql
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from personalization.errors import StorageError
from personalization.storage import ops_queries as oq

__all__ = ["ping", "tool", "dump", "restore", "count_rows", "load_rows", "notify", "COPY_TABLES"]

COPY_TABLES = tuple(oq.COPY_IN)


def ping(pool: ConnectionPool[Connection[TupleRow]], timeout: float = 3.0) -> None:
    """A pooled ``SELECT 1``: raises when the database does not answer within ``timeout``."""
    with pool.connection(timeout=timeout) as conn:
        conn.execute(oq.PING)


def _bundled(name: str) -> Path | None:
    try:
        import pgserver
    except ImportError:
        return None
    path = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin" / name
    return path if path.exists() else None


def tool(name: str, env: Mapping[str, str] | None = None) -> Path:
    """The ``pg_dump``/``pg_restore`` to run: from ``CINESYNC_PG_BIN`` if set, else pgserver's,
    else the system's."""
    env = os.environ if env is None else env
    folder = (env.get("CINESYNC_PG_BIN") or "").strip()
    if folder:
        chosen = Path(folder).expanduser() / name
        if not chosen.exists():
            raise StorageError(f"CINESYNC_PG_BIN is {folder}, which has no {name}: point it at PostgreSQL's bin folder")
        return chosen
    system = shutil.which(name)
    found = _bundled(name) or (Path(system) if system else None)
    if found is None:
        raise StorageError(
            f"{name} not found: install PostgreSQL's client programs (apt-get install postgresql-client), "
            "pgserver (pip install pgserver), or set CINESYNC_PG_BIN to their folder"
        )
    return found


def _run(command: Sequence[str], what: str) -> None:
    done = subprocess.run(list(command), capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {done.returncode}"
        raise StorageError(f"{what} failed: {reason}")


def dump(url: str, file: Path) -> None:
    """The whole database into ``file`` (pg_dump's custom format: compressed, restorable with
    ``restore``), without owners or privileges so it restores into any server. The folder
    holding ``file`` must exist (a typo must not create folders, at the root or elsewhere)."""
    file = Path(file)
    if not file.absolute().parent.is_dir():
        raise StorageError(f"cannot write {file}: the folder {file.absolute().parent} does not exist")
    _run(
        [
            str(tool("pg_dump")),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={file}",
            f"--dbname={url}",
        ],
        "pg_dump",
    )


DUMP_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format (what `dump` writes)


def check_dump(file: Path) -> None:
    """Refuse, before anything is asked or changed, a file that is not a ``dump``."""
    if not Path(file).is_file():
        raise StorageError(f"{file} does not exist: give a file written by `cinesync db dump`")
    with open(file, "rb") as f:
        if f.read(len(DUMP_MAGIC)) != DUMP_MAGIC:
            raise StorageError(f"{file} is not a backup written by `cinesync db dump` (pg_dump's custom format)")


def restore(url: str, file: Path) -> None:
    """Replace the database's tables with those in ``file`` (a ``dump``), in one transaction:
    on any error nothing changes."""
    check_dump(file)
    _run(
        [
            str(tool("pg_restore")),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url}",
            str(file),
        ],
        "pg_restore",
    )


def count_rows(pool: ConnectionPool[Connection[TupleRow]]) -> int:
    """Films, users and ratings stored (0: an empty database)."""
    with pool.connection() as conn:
        row = conn.execute(oq.COUNT_ROWS).fetchone()
    return int(row[0]) if row is not None else 0


def load_rows(
    pool: ConnectionPool[Connection[TupleRow]],
    tables: Mapping[str, Iterable[Sequence[Any]]],
    *,
    replace: bool,
    note: str,
    source: str = "import",
) -> dict[str, int]:
    """Copy rows into the engine's tables (each row in ``ops_queries.COPY_IN``'s column order) in
    one transaction; ``replace`` empties every table first. Loaded settings are recorded as the
    newest version of their history, from ``source``. Returns the rows loaded per table."""
    unknown = set(tables) - set(oq.COPY_IN)
    if unknown:
        raise StorageError(f"cannot load table(s) {', '.join(sorted(unknown))}")
    loaded: dict[str, int] = {}
    with pool.connection() as conn, conn.transaction():
        if replace:
            for table in oq.TABLES_CHILDREN_FIRST:
                exists = conn.execute(oq.TABLE_EXISTS, (table,)).fetchone()
                if exists is not None and exists[0]:
                    conn.execute(sql.SQL(oq.EMPTY_TABLE).format(table=sql.Identifier(table)))
        for table in oq.COPY_IN:  # parents first
            if table not in tables:
                continue
            n = 0
            with conn.cursor() as cur, cur.copy(oq.COPY_IN[table]) as copy:
                for row in tables[table]:
                    copy.write_row(row)
                    n += 1
            loaded[table] = n
        if loaded.get("engine_settings"):
            conn.execute(oq.RECORD_IMPORTED_SETTINGS, (source,))
        conn.execute(oq.RESET_FEEDBACK_IDS)
        conn.execute(oq.NOTIFY, (note,))
    return loaded


def notify(url: str, note: str) -> None:
    """Tell every listening process ``note`` (after a restore replaced everything)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(oq.NOTIFY, (note,))
    except psycopg.Error as exc:
        raise StorageError(f"could not notify the other processes: {exc}") from exc
