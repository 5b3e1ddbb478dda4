"""Loading the engine's data into Polars and DuckDB: the I/O edge of the analytics package.

Sources: a live PostgreSQL (through the service's pool, a psycopg connection or a URL), a
MovieLens folder (read by ``importers``, no database needed), and Parquet files written by
``cinesync export parquet``. PostgreSQL data reaches DuckDB as Arrow (``INSTALL postgres``
cannot download offline, and the copy keeps DuckDB away from the live database anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from personalization.analytics.tables import SCHEMAS, Tables, conform, films_frame, ratings_frame
from personalization.storage import analytics_queries as aq

__all__ = [
    "read_postgres",
    "read_movielens",
    "read_parquet",
    "scan_parquet",
    "write_parquet",
    "duckdb_connection",
    "duckdb_over_parquet",
]


@contextmanager
def _connection(source):
    """A psycopg connection from a Service, a Database, a connection or a URL."""
    import psycopg

    if isinstance(source, psycopg.Connection):
        yield source
        return
    db = getattr(source, "db", source)  # Service -> Database
    pool = getattr(db, "pool", None)
    if pool is not None:
        with pool.connection() as conn:
            yield conn
        return
    with psycopg.connect(str(source)) as conn:
        yield conn


def read_postgres(source, tables: Iterable[str] | None = None) -> Tables:
    """Copy the engine's tables (all, or those named) out of PostgreSQL into Polars frames."""
    wanted = list(tables) if tables is not None else list(aq.TABLES)
    unknown = set(wanted) - set(aq.TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; known: {', '.join(aq.TABLES)}")
    frames: dict[str, pl.DataFrame] = {}
    with _connection(source) as conn:
        for name in wanted:
            frame = pl.read_database(aq.TABLES[name], connection=conn)
            frames[name] = conform(name, frame if frame.height else None)
    return Tables(**{"movies": None, "ratings": None, **frames})


def read_movielens(directory: Path) -> Tables:
    """A MovieLens folder (ml-100k or ml-latest, optional credits.csv) without any database."""
    from personalization.data.importers import read_movielens as read

    data = read(Path(directory))
    return Tables(movies=films_frame(data.films), ratings=ratings_frame(data.ratings))


def scan_parquet(directory: Path) -> dict[str, pl.LazyFrame]:
    """Lazy frames over an export (only what a query needs is read, in streaming mode)."""
    directory = Path(directory)
    return {
        name: pl.scan_parquet(directory / f"{name}.parquet")
        for name in SCHEMAS
        if (directory / f"{name}.parquet").exists()
    }


def read_parquet(directory: Path) -> Tables:
    """An export written by ``write_parquet`` (``cinesync export parquet``), read eagerly."""
    frames = {name: lf.collect() for name, lf in scan_parquet(directory).items()}
    if "movies" not in frames or "ratings" not in frames:
        raise FileNotFoundError(f"{directory}: expected movies.parquet and ratings.parquet")
    return Tables(**frames)


def write_parquet(tables: Tables, directory: Path) -> list[Path]:
    """One ``<table>.parquet`` per table (zstd); returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.as_dict().items():
        path = directory / f"{name}.parquet"
        frame.write_parquet(path, compression="zstd")
        written.append(path)
    return written


def duckdb_connection(tables: Tables | dict[str, pl.DataFrame], con=None):
    """A DuckDB connection (new, or ``con``) where every frame is a view of its table name.

    The frames are handed over as Arrow tables: no copy through CSV, no database extension.
    """
    import duckdb

    con = con if con is not None else duckdb.connect()
    frames = tables.as_dict() if isinstance(tables, Tables) else tables
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    return con


def duckdb_over_parquet(directory: Path, con=None):
    """A DuckDB connection with one view per exported table, reading the Parquet files lazily."""
    import duckdb

    con = con if con is not None else duckdb.connect()
    directory = Path(directory)
    for name in SCHEMAS:
        path = directory / f"{name}.parquet"
        if path.exists():
            literal = str(path).replace("'", "''")
            con.sql(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{literal}')")
    return con
