"""notebooks/data_source.py: each data source a notebook's ``parameters`` cell can name.

The sandbox and the Parquet export are run by test_notebooks.py and test_papermill.py; here the
live database (read only: a write through its session fails) and a MovieLens folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))
import data_source  # noqa: E402


def test_the_database_source_reads_the_live_database_read_only(demo_db_url, monkeypatch):
    sessions = []
    connect = psycopg.connect

    def recording_connect(*args, **kwargs):
        conn = connect(*args, **kwargs)
        sessions.append(conn.execute("SHOW default_transaction_read_only").fetchone()[0])
        return conn

    monkeypatch.setattr(psycopg, "connect", recording_connect)
    data = data_source.open_data("database", database_url=demo_db_url)
    monkeypatch.undo()
    try:
        assert sessions == ["on"], "the live database must be read over a read-only session"
        with psycopg.connect(demo_db_url) as conn:
            assert data.ratings.height == conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
            assert data.movies.height == conn.execute("SELECT count(*) FROM movies").fetchone()[0]
        folder = data.folder()  # what an engine copy or a replay is loaded from
        assert (folder / "ratings.csv").read_text().count("\n") == data.ratings.height + 1
    finally:
        data.close()


def test_a_movielens_folder_round_trips_through_the_folder_writer(tmp_path):
    from personalization.analytics import loaders, sandbox

    folder = sandbox.write_source(tmp_path / "ml", "synthetic", n_users=20, n_films=60, mean_ratings=10, seed=3)
    data = data_source.open_data("movielens", path=folder)
    try:
        again = loaders.read_movielens(data_source.write_movielens_folder(data.tables, tmp_path / "again"))
        assert again.ratings.height == data.ratings.height
        assert again.movies.sort("film_id").equals(data.movies.sort("film_id"))
    finally:
        data.close()


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be one of sandbox, movielens, parquet, database"):
        data_source.open_data("csv")
