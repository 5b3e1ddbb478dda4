import threading

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from personalization.storage.migrations import SQL_DIR, discover, migrate, migration_status


@pytest.fixture
def blank_db_url(pg_admin_url):
    import uuid

    from psycopg.conninfo import make_conninfo

    name = f"m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_admin_url, dbname=name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_files_are_versioned_and_ordered():
    migs = discover()
    assert migs and migs[0].version == 1
    assert [m.version for m in migs] == sorted(m.version for m in migs)
    assert all(m.path.parent == SQL_DIR for m in migs)


def test_migrate_twice_is_safe(blank_db_url):
    with ConnectionPool(blank_db_url, min_size=1, max_size=2) as pool:
        first = migrate(pool)
        assert [m.version for m in first] == [m.version for m in discover()]
        assert migrate(pool) == []
        assert all(done for _, done in migration_status(pool))


def test_two_migrations_at_once(blank_db_url):
    results, errors = [], []

    def run():
        try:
            with ConnectionPool(blank_db_url, min_size=1, max_size=1) as pool:
                results.append(migrate(pool))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(len(r) for r in results) == [0, 0, len(discover())]


def test_a_broken_migration_applies_nothing(blank_db_url, tmp_path):
    (tmp_path / "V001__ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "V002__broken.sql").write_text("CREATE TABLE b (x nonsense_type);")
    with ConnectionPool(blank_db_url, min_size=1, max_size=1) as pool:
        with pytest.raises(psycopg.errors.UndefinedObject):
            migrate(pool, tmp_path)
        with pool.connection() as conn:
            assert conn.execute("SELECT to_regclass('a')").fetchone() == (None,)


def test_bad_file_name(tmp_path):
    (tmp_path / "001_init.sql").write_text("")
    with pytest.raises(ValueError, match="V<number>__<reason>"):
        discover(tmp_path)


def test_schema_has_no_extension_dependency():
    text = "\n".join(m.path.read_text() for m in discover()).lower()
    assert "create extension" not in text and "vector(" not in text
    assert "embedding     real[] not null" in text  # float32 values, not pickled bytes


def test_rating_constraints_hold_in_the_database(db_url):
    with psycopg.connect(db_url) as conn:
        conn.execute("INSERT INTO users (id) VALUES (1)")
        conn.execute("INSERT INTO movies (id, title) VALUES (1, 'x')")
        for bad in (0.0, 5.5, 3.3):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute("INSERT INTO ratings (user_id, movie_id, stars) VALUES (1, 1, %s)", (bad,))
