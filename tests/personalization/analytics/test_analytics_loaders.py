"""Loaders: PostgreSQL, MovieLens files and Parquet exports give the same typed frames."""

from __future__ import annotations

from click.testing import CliRunner

from personalization.analytics import loaders, preferences_duckdb, preferences_polars
from personalization.analytics.profile_frames import differences
from personalization.analytics.tables import SCHEMAS
from personalization.cli import main
from personalization.data.importers import read_movielens


def test_postgres_frames_have_the_fixed_schemas(demo_tables):
    for name, frame in demo_tables.as_dict().items():
        assert dict(frame.schema) == SCHEMAS[name], name
    assert demo_tables.ratings.height > 1000
    assert demo_tables.feedback.height == 0  # empty, but typed
    assert demo_tables.user_embeddings["embedding"].list.len().unique().to_list() == [256]


def test_only_named_tables_are_read(demo_service):
    t = loaders.read_postgres(demo_service, ["ratings"])
    assert t.ratings.height > 0 and t.movies.height == 0


def test_movielens_files_match_the_database(service, tmp_path):
    from personalization.data.synthetic import generate, write_movielens

    folder = write_movielens(generate(n_users=20, n_films=120, mean_ratings=15, seed=3), tmp_path / "ml")
    from_files = loaders.read_movielens(folder)
    data = read_movielens(folder)
    service.import_films(data.films)
    service.rate_many(data.ratings)
    live = loaders.read_postgres(service)
    key = ["user_id", "film_id"]
    assert from_files.ratings.sort(key).equals(live.ratings.sort(key))
    cols = ["film_id", "title", "year", "genres", "directors", "actors"]
    assert from_files.movies.select(cols).equals(live.movies.select(cols))


def test_export_parquet_round_trip(demo_service, demo_db_url, tmp_path, monkeypatch):
    demo_service.profile(1)
    monkeypatch.setenv("CINESYNC_DATABASE_URL", demo_db_url)
    out = CliRunner().invoke(main, ["export", "parquet", str(tmp_path / "export")])
    assert out.exit_code == 0, out.output
    assert "ratings" in out.output and "user_preferences" in out.output
    back = loaders.read_parquet(tmp_path / "export")
    live = loaders.read_postgres(demo_service)
    for name in ("movies", "ratings", "users", "user_embeddings", "user_preferences"):
        assert getattr(back, name).equals(getattr(live, name)), name
    # The same pipelines run on the files: Polars lazily, DuckDB straight from Parquet.
    lazy = loaders.scan_parquet(tmp_path / "export")
    by_polars = preferences_polars.analyse(lazy["ratings"], lazy["movies"])
    by_duckdb = preferences_duckdb.analyse_connection(loaders.duckdb_over_parquet(tmp_path / "export"))
    assert by_polars.users.height == live.ratings["user_id"].n_unique()
    assert differences(by_polars, by_duckdb).height == 0


def test_duckdb_sees_frames_over_arrow(demo_tables):
    con = loaders.duckdb_connection(demo_tables)
    n, mean = con.sql("SELECT count(*), avg(stars) FROM ratings").fetchall()[0]
    assert n == demo_tables.ratings.height
    assert abs(mean - demo_tables.ratings["stars"].mean()) < 1e-12
    genres = con.sql("SELECT count(DISTINCT g) FROM (SELECT unnest(genres) AS g FROM movies)").fetchall()[0][0]
    assert genres == demo_tables.movies["genres"].explode().n_unique()
