"""Connections: the embedded PostgreSQL (pgserver) by default, any PostgreSQL by URL.

The pool is created once at an entry point and passed down (psycopg's pattern). Connections are
checked before use, so a connection the server dropped is replaced instead of failing a request.

The embedded server is shared: the dashboard, a bot, a `psql` on `cinesync db url` and one-shot
commands all use the one under ``$CINESYNC_HOME/pgdata``. No process stops it when it exits (a
command ending must not cut off the others); `cinesync db stop` (``stop_embedded``) is the one
way to stop it, and says how many clients were connected (``embedded_clients``).
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import os
import re
import signal
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

from personalization.config import Settings
from personalization.errors import StorageError
from personalization.storage.vectors import register_vector_adapters

if TYPE_CHECKING:
    from pgserver import PostgresServer

__all__ = [
    "Database",
    "open_database",
    "embedded_url",
    "embedded_clients",
    "start_embedded",
    "stop_embedded",
    "install_sigterm_handler",
    "redact",
    "check_url",
]

log = logging.getLogger(__name__)
_servers: dict[Path, PostgresServer] = {}


def install_sigterm_handler() -> None:
    """Exit normally on SIGTERM so the pool closes its connections (atexit handlers run)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def embedded_url(home: Path, cleanup_mode: str | None = None) -> str:
    """Start (or join) the embedded PostgreSQL under ``home/pgdata`` and return its URI.

    ``cleanup_mode`` None (the default) leaves the server running when this process exits,
    because other processes may be using it; `cinesync db stop` stops it. Only a throw-away
    server (tests) should pass "stop" or "delete"."""
    datadir = (Path(home) / "pgdata").resolve()
    server = _servers.get(datadir)
    if server is None:
        try:
            datadir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the home folder {datadir.parent} ({exc.strerror}): set CINESYNC_HOME "
                "to a folder you can write, or CINESYNC_DATABASE_URL to use another PostgreSQL"
            ) from None
        try:
            server = start_embedded(datadir, cleanup_mode)
        except Exception as exc:  # pgserver raises plain exceptions with pg_ctl's output
            raise StorageError(
                f"could not start the embedded PostgreSQL in {datadir}: {exc}. "
                "If a previous run was killed, try `cinesync db stop`, or set "
                "CINESYNC_DATABASE_URL to use another PostgreSQL."
            ) from exc
        _servers[datadir] = server
    return server.get_uri()


# Machine-wide, because what races is machine-wide: as root, pgserver creates a `pgserver` system
# user on the first start, and two processes doing that at once (two test workers, a bot and a
# dashboard on a new container) fail with "initdb: could not look up effective user ID".
# /tmp itself, not tempfile.gettempdir(): TMPDIR differs between processes (the notebook tests
# give each kernel its own), and a lock in two places serialises nothing.
START_LOCK = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / "cinesync-pgserver-start.lock"


def _pgserver() -> ModuleType:
    """pgserver, imported without the warning its platformdirs prints as root when
    XDG_RUNTIME_DIR is unset (it reached the user's terminal after a command's output)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        return importlib.import_module("pgserver")


def start_embedded(datadir: Path, cleanup_mode: str | None = None) -> PostgresServer:
    """``pgserver.get_server`` with starts serialised across processes (see ``START_LOCK``)."""
    pgserver = _pgserver()

    with open(START_LOCK, "a+") as lock:
        try:
            os.chmod(START_LOCK, 0o666)  # any user on the machine may need to take it
        except OSError:
            pass
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                server: PostgresServer = pgserver.get_server(datadir, cleanup_mode=cleanup_mode)
            except Exception as exc:
                # Once more: pg_ctl's start can outlast pgserver's 10 s wait on a loaded machine's
                # first start (a clean CI run failed one of four processes starting at once);
                # the second call finds the server that came up meanwhile. A real fault fails again.
                log.warning("the embedded PostgreSQL did not start (%s); trying once more", exc)
                time.sleep(1.0)
                server = pgserver.get_server(datadir, cleanup_mode=cleanup_mode)
            return server
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def embedded_clients(home: Path) -> list[str]:
    """The client connections to the embedded server under ``home`` (other than this one), by
    application name ("psql", "cinesync", ... or "unnamed"); empty when it is not running."""
    datadir = (Path(home) / "pgdata").resolve()
    server = _servers.get(datadir)
    url = server.get_uri() if server is not None else _running_url(datadir)
    if url is None:
        return []
    try:
        with psycopg.connect(url, connect_timeout=5, application_name="cinesync db stop") as conn:
            rows = conn.execute(
                "SELECT coalesce(nullif(application_name, ''), 'unnamed') FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchall()
    except psycopg.Error:
        return []  # not accepting connections (stopping, or stale files): nobody to warn
    return [str(name) for (name,) in rows]


def _running_url(datadir: Path) -> str | None:
    """The URI of the server running on ``datadir`` (from its postmaster.pid), without joining it."""
    _pgserver()  # first, so that its import warning is filtered
    from pgserver.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(datadir)
        return info.get_uri() if info is not None and info.is_running() else None
    except Exception:  # a stale or half-written postmaster.pid
        return None


def stop_embedded(home: Path) -> bool:
    """Stop the embedded server if it runs; returns whether it was running. Connected clients
    are disconnected (pg_ctl's fast mode): see ``embedded_clients`` to warn about them first."""
    pgserver = _pgserver()

    datadir = (Path(home) / "pgdata").resolve()
    if not (datadir / "postmaster.pid").exists():
        return False
    kwargs = {"user": "pgserver"} if os.geteuid() == 0 else {}  # as root, pgserver runs it as this user
    pgserver.pg_ctl(["-w", "stop"], pgdata=datadir, **kwargs)
    (datadir / ".handle_pids.json").unlink(missing_ok=True)
    _servers.pop(datadir, None)
    # pgserver keeps its own handle per data dir and would hand back this stopped server to the
    # next start in this process: forget it, so a start really starts.
    instances: dict[Path, Any] = getattr(pgserver.PostgresServer, "_instances", {})
    instances.pop(datadir, None)
    return True


@dataclass
class Database:
    """A connection pool plus the URL it was made from."""

    url: str
    pool: ConnectionPool[psycopg.Connection[Any]]

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A dedicated connection outside the pool (for LISTEN, or autocommit admin work)."""
        return psycopg.connect(self.url, **kwargs)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Seconds the one direct connection tried before the pool opens may take: a refused or
# unreachable server is one clear line within seconds, not the pool's retries and warnings.
CONNECT_TIMEOUT = 5


def open_database(settings: Settings, *, url: str | None = None) -> Database:
    """A pool on ``url``, else ``CINESYNC_DATABASE_URL``, else the embedded server. A malformed
    URL fails at once, an unreachable server within ``CONNECT_TIMEOUT`` seconds, each as one
    line (a ``StorageError``) naming where the URL came from."""
    source = "the database URL" if url else "CINESYNC_DATABASE_URL"
    if url:
        hint = "Check the database URL"
    elif settings.database_url:
        hint = "Check CINESYNC_DATABASE_URL, or unset it to use the embedded server"
    else:
        hint = "The embedded server did not answer: run `cinesync db stop`, then try again"
    url = url or settings.database_url or embedded_url(settings.home)
    check_url(url, source)
    try:  # one direct attempt first: it fails fast and says why (the pool retries, then times out)
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
    except psycopg.Error as exc:
        raise StorageError(f"cannot connect to PostgreSQL at {redact(url)}: {_sentence(exc)} {hint}.") from None
    pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
        url,
        connection_class=psycopg.Connection,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        open=False,
        check=ConnectionPool.check_connection,
        name="cinesync",
        configure=register_vector_adapters,
        kwargs={"application_name": "cinesync"},
        timeout=settings.pool_timeout,
    )
    try:
        pool.open(wait=True, timeout=min(15.0, settings.pool_timeout))
    except Exception as exc:
        pool.close()
        reason: Exception = exc
        try:  # the pool only says that it timed out: one direct attempt says why
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except Exception as direct:
            reason = direct
        raise StorageError(f"cannot connect to PostgreSQL at {redact(url)}: {_sentence(reason)} {hint}.") from reason
    return Database(url, pool)


def check_url(url: str, source: str = "CINESYNC_DATABASE_URL") -> None:
    """Raise a one-line ``StorageError`` naming ``source`` if libpq cannot parse ``url``."""
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        # libpq quotes the part it could not parse, which may be a password: shown only when
        # the value holds none
        secret = "@" in url or "password" in url.lower()
        why = "" if secret else f" ({_one_line(exc)})"
        unset = ", or unset it to use the embedded server" if source == "CINESYNC_DATABASE_URL" else ""
        raise StorageError(
            f"{source} is not a PostgreSQL URL{why}: give postgresql://USER:PASSWORD@HOST:PORT/DBNAME{unset}"
        ) from None


def _one_line(exc: BaseException) -> str:
    """psycopg's message on one line (libpq's end with a newline and add indented hints)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _sentence(exc: BaseException) -> str:
    text = _one_line(exc)
    return text if text.endswith((".", "?", "!")) else text + "."


def redact(url: str) -> str:
    """The URL without its password (for messages and `db url`)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "<unparseable url>"
    password = info.get("password")
    if not password:
        return url
    if "://" in url:  # a URI: only the password field, between "user:" and "@", is masked
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rpartition("@")[2]
            user = parts.netloc.rpartition("@")[0].partition(":")[0]
            return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    # key=value form (or a password given another way): mask the password=... value itself
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)
