"""Connections: the embedded PostgreSQL (pgserver) by default, any PostgreSQL by URL.

The pool is created once at an entry point and passed down (psycopg's pattern). Connections are
checked before use, so a connection the server dropped is replaced instead of failing a request.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg_pool import ConnectionPool

from personalization.config import Settings
from personalization.errors import StorageError
from personalization.storage.vectors import register_vector_adapters

__all__ = ["Database", "open_database", "embedded_url", "start_embedded", "stop_embedded", "install_sigterm_handler"]

log = logging.getLogger(__name__)
_servers: dict[Path, object] = {}


def install_sigterm_handler() -> None:
    """Exit normally on SIGTERM so pgserver's clean-up runs (a signal death leaves it running)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def embedded_url(home: Path, cleanup_mode: str | None = "stop") -> str:
    """Start (or join) the embedded PostgreSQL under ``home/pgdata`` and return its URI."""
    import warnings
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver  # imported here: only the embedded mode needs it

    datadir = (Path(home) / "pgdata").resolve()
    server = _servers.get(datadir)
    if server is None:
        datadir.parent.mkdir(parents=True, exist_ok=True)
        try:
            server = start_embedded(datadir, cleanup_mode)
        except Exception as exc:  # pgserver raises plain exceptions with pg_ctl's output
            raise StorageError(
                f"could not start the embedded PostgreSQL in {datadir}: {exc}. "
                "If a previous run was killed, try `cinesync db stop`, or set "
                "CINESYNC_DATABASE_URL to use another PostgreSQL.") from exc
        _servers[datadir] = server
    return server.get_uri()


# Machine-wide, because what races is machine-wide: as root, pgserver creates a `pgserver` system
# user on the first start, and two processes doing that at once (two test workers, a bot and a
# dashboard on a new container) fail with "initdb: could not look up effective user ID".
START_LOCK = Path(tempfile.gettempdir()) / "cinesync-pgserver-start.lock"


def start_embedded(datadir: Path, cleanup_mode: str | None = "stop"):
    """``pgserver.get_server`` with starts serialised across processes (see ``START_LOCK``)."""
    import pgserver

    with open(START_LOCK, "a+") as lock:
        try:
            os.chmod(START_LOCK, 0o666)  # any user on the machine may need to take it
        except OSError:
            pass
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return pgserver.get_server(datadir, cleanup_mode=cleanup_mode)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stop_embedded(home: Path) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    import pgserver

    datadir = (Path(home) / "pgdata").resolve()
    if not (datadir / "postmaster.pid").exists():
        return False
    kwargs = {"user": "pgserver"} if os.geteuid() == 0 else {}  # as root, pgserver runs it as this user
    pgserver.pg_ctl(["-w", "stop"], pgdata=datadir, **kwargs)
    (datadir / ".handle_pids.json").unlink(missing_ok=True)
    _servers.pop(datadir, None)
    return True


@dataclass
class Database:
    """A connection pool plus the URL it was made from."""

    url: str
    pool: ConnectionPool

    def connect(self, **kwargs) -> psycopg.Connection:
        """A dedicated connection outside the pool (for LISTEN, or autocommit admin work)."""
        return psycopg.connect(self.url, **kwargs)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_database(settings: Settings, *, url: str | None = None) -> Database:
    url = url or settings.database_url or embedded_url(settings.home)
    pool = ConnectionPool(
        url, min_size=settings.pool_min, max_size=settings.pool_max, open=False,
        check=ConnectionPool.check_connection, name="cinesync", configure=register_vector_adapters,
        kwargs={"application_name": "cinesync"},
    )
    try:
        pool.open(wait=True, timeout=15)
    except Exception as exc:
        pool.close()
        raise StorageError(f"cannot connect to PostgreSQL at {redact(url)}: {exc}. "
                           "Check CINESYNC_DATABASE_URL, or unset it to use the embedded server.") from exc
    return Database(url, pool)


def redact(url: str) -> str:
    """The URL without its password (for messages and `db url`)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "<unparseable url>"
    if info.get("password"):
        return url.replace(info["password"], "***")
    return url
