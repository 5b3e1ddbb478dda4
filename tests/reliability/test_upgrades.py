"""A new migration applied to a populated database while a serving process (a ``Service`` with
its listener) keeps writing and reading: nothing is lost, the old process keeps working, and
`cinesync db status` says what is pending before (without applying it) and nothing after.

The "new release" is a copy of ``sql/`` plus one throwaway migration (``SQL_DIR`` pointed at it,
as an upgraded install would find its own files)."""

from __future__ import annotations

import random
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from reliability_helpers import check_vectors, load_films

from personalization.cli import main
from personalization.service import Service
from personalization.storage import migrations
from personalization.storage.retry import is_stale_prepared_statement

# What a future release might do to live tables: a column with a default, filled for every row
# (a table rewrite that holds an exclusive lock while the old process writes), an index, a table,
# a nullable column on the catalogue.
ADDITIVE = """
ALTER TABLE ratings ADD COLUMN source text NOT NULL DEFAULT 'unknown';
UPDATE ratings SET source = 'before-upgrade';
CREATE INDEX ratings_source_idx ON ratings (source);
ALTER TABLE movies ADD COLUMN runtime_minutes integer;
CREATE TABLE upgrade_probe (id bigserial PRIMARY KEY, note text NOT NULL);
INSERT INTO upgrade_probe (note) VALUES ('applied');
"""
NEW = "V900__upgrade_probe"


# A migration that changes the type of a column the engine reads: statements an old process had
# prepared on its pooled connections return another type now, which PostgreSQL refuses once per
# statement and connection ("cached plan must not change result type").
RETYPING = "ALTER TABLE ratings ALTER COLUMN stars TYPE double precision;"


def install_new_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str = ADDITIVE) -> Path:
    """The old release's migrations plus the new one, found where an upgraded install would."""
    folder = tmp_path / "sql"
    shutil.copytree(migrations.SQL_DIR, folder)
    (folder / f"{NEW}.sql").write_text(sql)
    monkeypatch.setattr(migrations, "SQL_DIR", folder)
    return folder


def _cli(db_url: str, home: Path, *args: str):
    return CliRunner().invoke(
        main, list(args), env={"CINESYNC_DATABASE_URL": db_url, "CINESYNC_HOME": str(home)}, catch_exceptions=False
    )


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


class Writer(threading.Thread):
    """The old process's traffic: ratings, feedback and picks for a few users, until stopped;
    records what it was told succeeded, and any error."""

    def __init__(self, svc: Service, users: list[int], films: int):
        super().__init__(daemon=True)
        self.svc, self.users, self.films = svc, users, films
        self.stop = threading.Event()
        self.acked: dict[tuple[int, int], float] = {}
        self.feedback = 0
        self.errors: list[BaseException] = []  # of the writes
        self.read_errors: list[BaseException] = []

    def run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            user, film = rng.choice(self.users), rng.randint(1, self.films)
            try:
                if rng.random() < 0.2:
                    self.svc.feedback(user, film, rng.choice(["love", "dislike"]))
                    self.feedback += 1
                else:
                    stars = rng.randint(1, 10) / 2
                    self.svc.rate(user, film, stars)
                    self.acked[(user, film)] = stars
            except BaseException as exc:  # the test fails on any
                self.errors.append(exc)
                return
            try:
                self.svc.recommend(user, 5)
            except BaseException as exc:
                self.read_errors.append(exc)


def test_a_migration_applied_while_a_process_serves_loses_nothing(db_url, settings, tmp_path, monkeypatch):
    load_films(db_url, 30)
    with Service.open(settings, url=db_url) as old:  # migrated to the old release's schema
        old.rate_many(
            [(u, f, (u + f) % 10 / 2 + 0.5, 1_700_000_000 + u * 100 + f) for u in range(1, 21) for f in range(1, 16)]
        )
        for u in range(1, 21):
            old.recommend(u, 5)  # warm: statements prepared, caches filled
            old.profile(u)
        before = dict(((u, f), s) for u, f, s in _rows(db_url, "SELECT user_id, movie_id, stars FROM ratings"))
        install_new_release(tmp_path, monkeypatch)  # the old process runs on

        status = _cli(db_url, tmp_path / "home", "db", "status")
        assert status.exit_code == 0, status.output
        pending = [line for line in status.output.splitlines() if "PENDING" in line]
        assert len(pending) == 1 and "V900 upgrade_probe" in pending[0], status.output
        assert _rows(db_url, "SELECT count(*) FROM schema_migrations WHERE version = 900") == [(0,)], (
            "db status applied the migration it reports as pending"
        )

        writer = Writer(old, users=[100, 101, 102, 103], films=30)
        writer.start()
        time.sleep(0.5)
        migrate = _cli(db_url, tmp_path / "home", "db", "migrate")
        assert migrate.exit_code == 0, migrate.output
        assert migrate.output.strip() == "applied V900 upgrade_probe"
        time.sleep(0.5)  # the old process keeps writing on the new schema
        writer.stop.set()
        writer.join(30)
        assert not writer.errors, f"the old process failed after the upgrade: {writer.errors[0]!r}"
        assert not writer.read_errors, f"the old process failed after the upgrade: {writer.read_errors[0]!r}"
        assert len(writer.acked) > 10

        # The old process still answers every verb, its listener included.
        assert old.rate(1, 20, 4.5).n_ratings == 16
        assert old.recommend(1, 5).items and old.profile(2).n_ratings == 15
        assert old.unrate(1, 20).stars == 4.5
        assert old.user_vector(3) is not None and old.vectors.get(3) is not None
        with Service.open(settings, url=db_url, listen=False) as new:  # a process of the new release
            new.rate(3, 25, 5.0)
        deadline = time.monotonic() + 10
        while old.vectors.get(3) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert old.vectors.get(3) is None, "the old process's listener missed a write made after the upgrade"

        after = _cli(db_url, tmp_path / "home", "db", "status")
        assert after.exit_code == 0 and "PENDING" not in after.output, after.output
        assert "V900 upgrade_probe" in after.output and "applied" in after.output

    # Nothing lost: every rating from before and every acknowledged one is stored as it was.
    stored = {(u, f): s for u, f, s in _rows(db_url, "SELECT user_id, movie_id, stars FROM ratings")}
    assert {k: stored.get(k) for k in before} == before
    assert {k: stored.get(k) for k in writer.acked} == writer.acked
    assert _rows(db_url, "SELECT count(*) FROM feedback") == [(writer.feedback,)]
    counters = _rows(
        db_url,
        "SELECT e.user_id, e.n_ratings, (SELECT count(*) FROM ratings r WHERE r.user_id = e.user_id),"
        " e.n_feedback, (SELECT count(*) FROM feedback f WHERE f.user_id = e.user_id) FROM user_embeddings e",
    )
    assert all(r == nr and f == nf for _, r, nr, f, nf in counters), counters
    assert _rows(db_url, "SELECT DISTINCT source FROM ratings WHERE user_id < 100 AND movie_id <= 15") == [
        ("before-upgrade",)
    ]
    check_vectors(db_url)


def test_a_migration_changing_a_column_type_fails_no_write_and_a_read_once_per_connection(
    db_url, settings, tmp_path, monkeypatch
):
    load_films(db_url, 30)
    # One pooled connection, so that every statement below is prepared on the connection the
    # next call uses (psycopg prepares a statement on its sixth run on a connection).
    one = replace(settings, pool_min=1, pool_max=1)
    with Service.open(one, url=db_url) as old:
        for u in range(1, 9):
            for f in range(1, 8):
                old.rate(u, f, 3.5)
            old.history(u)
        install_new_release(tmp_path, monkeypatch, RETYPING)
        assert _cli(db_url, tmp_path / "home", "db", "migrate").output.strip() == "applied V900 upgrade_probe"

        # The write's transaction fails on a stale statement and is rolled back whole, and with it
        # the connection's prepared statements: it is run again, and succeeds.
        assert old.rate(1, 9, 4.0).n_ratings == 8
        read_errors = []
        for u in range(1, 9):
            try:
                old.history(u)
            except psycopg.errors.FeatureNotSupported as exc:
                read_errors.append(exc)
            assert old.rate(u, 10, 2.5).stars == 2.5
        assert len(read_errors) <= one.pool_max  # a read is not retried: at most once per connection
        assert all(is_stale_prepared_statement(e) for e in read_errors), read_errors
        assert old.history(1)[0][9] == 4.0 and old.unrate(2, 10).stars == 2.5

    stored = {(u, f): s for u, f, s in _rows(db_url, "SELECT user_id, movie_id, stars FROM ratings")}
    assert stored[(1, 9)] == 4.0 and all(stored[(u, 10)] == 2.5 for u in range(1, 9) if u != 2)
    assert len(stored) == 8 * 7 + 1 + 7
    column = "SELECT data_type FROM information_schema.columns WHERE table_name = 'ratings' AND column_name = 'stars'"
    assert _rows(db_url, column) == [("double precision",)]
    check_vectors(db_url)


def test_db_status_on_a_database_without_a_schema_lists_everything_pending_and_applies_none(pg_admin_url, tmp_path):
    import json
    import uuid

    from psycopg.conninfo import make_conninfo

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(pg_admin_url, dbname=name)
    try:
        text = _cli(url, tmp_path / "home", "db", "status")
        assert text.exit_code == 0, text.output
        n = len(migrations.discover())
        assert text.output.count("PENDING") == n and f"{n} migrations pending" in text.output
        assert "once the pending migrations are applied" in text.output
        as_json = json.loads(_cli(url, tmp_path / "home", "db", "status", "--json").output)
        assert len(as_json["pending"]) == n and not any(m["applied"] for m in as_json["migrations"])
        assert _rows(url, "SELECT to_regclass('ratings') IS NULL") == [(True,)]  # nothing applied
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
