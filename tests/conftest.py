"""Shared fixtures: a real PostgreSQL for every test.

One embedded PostgreSQL (pgserver) per test worker, or the server named by
CINESYNC_TEST_DATABASE_URL. Each test gets its own fresh database cloned from a template
(``CREATE DATABASE ... TEMPLATE``), either empty-but-migrated (``db_url``) or with a small
synthetic demo data set loaded (``demo_db_url``).
"""

from __future__ import annotations

import os
import uuid
import warnings
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


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory) -> str:
    url = os.environ.get("CINESYNC_TEST_DATABASE_URL")
    if url:
        return url
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
