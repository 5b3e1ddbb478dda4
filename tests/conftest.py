"""Shared fixtures: a real PostgreSQL for every test.

The server, one per test worker, is in order of preference:

* the one named by CINESYNC_TEST_DATABASE_URL (an admin URL: tests create databases);
* a throwaway cluster made with the ``initdb`` and ``pg_ctl`` in ``--pg-bindir DIR`` (or
  CINESYNC_TEST_PG_BINDIR), e.g. Debian's PostgreSQL 15 in /usr/lib/postgresql/15/bin: initdb'd
  in a temporary folder (as the ``postgres`` user when run as root), listening on a unix socket
  only, stopped and removed at the end. ``make test`` runs the storage and service tests this way
  (``make test-pg``) so that "any PostgreSQL by URL" is a tested promise;
* otherwise the embedded PostgreSQL (pgserver). Its starts are serialised machine-wide
  (``storage.db.start_embedded``), so the first run on a fresh machine, where pgserver (as root)
  first creates its ``pgserver`` system user, is as safe as any later one: nothing here relies on
  a user that an earlier run created (tests/personalization/storage/test_first_start.py).

Each test gets its own fresh database cloned from a template (``CREATE DATABASE ... TEMPLATE``),
either empty-but-migrated (``db_url``) or with a small synthetic demo data set loaded
(``demo_db_url``).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from personalization.threads import configure_threads

configure_threads()  # an entry point like any other; before the service (and numpy) loads

from personalization.config import Settings  # noqa: E402
from personalization.service import Service  # noqa: E402

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

EMPTY_TEMPLATE = "cinesync_empty_template"
DEMO_TEMPLATE = "cinesync_demo_template"
DEMO_SIZE = {"n_users": 60, "n_films": 400, "mean_ratings": 30, "seed": 11}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pg-bindir",
        default=os.environ.get("CINESYNC_TEST_PG_BINDIR"),
        metavar="DIR",
        help="Run the tests on a throwaway PostgreSQL cluster made with DIR/initdb and DIR/pg_ctl "
        "(e.g. /usr/lib/postgresql/15/bin) instead of the embedded server.",
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[str]:
    """A private PostgreSQL cluster from ``bindir``'s initdb and pg_ctl: unix socket only, trust
    auth, no fsync (it is thrown away). Yields its admin URL; stops and removes it afterwards."""
    import pwd
    import shutil
    import subprocess
    import tempfile

    for tool in ("initdb", "pg_ctl"):
        if not (bindir / tool).is_file():
            raise pytest.UsageError(f"--pg-bindir {bindir}: no {tool} there (apt-get install postgresql?)")
    work = Path(tempfile.mkdtemp(prefix="cinesync-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: Debian's package made this user
        entry = pwd.getpwnam("postgres")
        os.chown(work, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = work / "data", _free_port()

    def run(*args: str | Path) -> None:
        done = subprocess.run([*as_user, *map(str, args)], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")

    try:
        run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = f"-k {work} -p {port} -c listen_addresses= -c fsync=off -c max_connections=200"
        run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", work / "server.log", "-w", "start")
        try:
            yield f"postgresql://postgres@/postgres?host={work}&port={port}"
        finally:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url = os.environ.get("CINESYNC_TEST_DATABASE_URL")
    if url:
        yield url
        return
    bindir = request.config.getoption("--pg-bindir")
    if bindir:
        with throwaway_cluster(Path(bindir)) as url:
            yield url
        return
    import shutil
    import tempfile

    from personalization.storage.db import start_embedded

    # pgserver (as root) runs PostgreSQL as a `pgserver` user and opens the data dir's parents to
    # it. Not under pytest's basetemp: each xdist worker resets /tmp/pytest-of-<user> to 0700,
    # which locks a server started by another worker out of its own data dir.
    home = Path(tempfile.mkdtemp(prefix="cinesync-test-"))
    server = start_embedded(home / "pgdata", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


def _db_url(admin_url: str, name: str) -> str:
    return make_conninfo(admin_url, dbname=name)


def _create_from(admin_url: str, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def empty_template(pg_admin_url) -> str:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{EMPTY_TEMPLATE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{EMPTY_TEMPLATE}"')
    settings = Settings(home=Path("/nonexistent"))
    with Service.open(settings, url=_db_url(pg_admin_url, EMPTY_TEMPLATE), listen=False):
        pass  # migrations applied
    return EMPTY_TEMPLATE


@pytest.fixture(scope="session")
def demo_template(pg_admin_url, empty_template, tmp_path_factory) -> str:
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens
    from personalization.storage.models import ModelStore
    from personalization.training import train

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DEMO_TEMPLATE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DEMO_TEMPLATE}" TEMPLATE "{EMPTY_TEMPLATE}"')
    folder = write_movielens(generate(**DEMO_SIZE), tmp_path_factory.mktemp("demo-data"))
    data = read_movielens(folder)
    with Service.open(
        Settings(home=Path("/nonexistent")), url=_db_url(pg_admin_url, DEMO_TEMPLATE), listen=False
    ) as svc:
        svc.import_films(data.films)
        svc.rate_many(data.ratings)
        # as `make demo` does: the collaborative models are trained and published once
        train(ModelStore(svc.db.pool), svc.model_settings, origin="tests")
    return DEMO_TEMPLATE


@pytest.fixture
def db_url(pg_admin_url, empty_template):
    """A fresh, migrated, empty database for this test."""
    name = _create_from(pg_admin_url, empty_template)
    yield _db_url(pg_admin_url, name)
    _drop(pg_admin_url, name)


@pytest.fixture
def demo_db_url(pg_admin_url, demo_template):
    """A fresh database holding the small synthetic demo data set (see DEMO_SIZE)."""
    name = _create_from(pg_admin_url, demo_template)
    yield _db_url(pg_admin_url, name)
    _drop(pg_admin_url, name)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def service(db_url, settings):
    with Service.open(settings, url=db_url) as svc:
        yield svc


@pytest.fixture
def demo_service(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url) as svc:
        yield svc


@pytest.fixture
def small_catalogue(service):
    """Twelve films with genres, directors and actors in ``service``'s database."""
    from personalization.core.catalogue import Film

    genres = ["Drama", "Comedy", "Horror", "Sci-Fi"]
    films = [
        Film(i, f"Film {i}", 1960 + 5 * i, (genres[i % 4],), (f"Director {i % 3}",), (f"Actor {i}", f"Actor {i + 1}"))
        for i in range(1, 13)
    ]
    service.import_films(films)
    return films
