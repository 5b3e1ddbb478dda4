"""Batch preference analysis: seconds against the number of ratings, Polars vs DuckDB, in memory
and straight from Parquet (what ``cinesync export parquet`` writes).

    .venv/bin/python benchmarks/batch_scaling.py [--sizes 100000,1000000,3000000]

Prints a Markdown table. The synthetic frames come from ``personalization.evaluation.bench.batch_frames``
(the same generator as ``cinesync bench``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from personalization.analytics import loaders, preferences_duckdb, preferences_polars
from personalization.analytics.tables import Tables
from personalization.evaluation.bench import batch_frames
from personalization.threads import configure_threads


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    configure_threads()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,3000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print("| ratings | users | Polars s | DuckDB s | Polars (Parquet, lazy) s | DuckDB (Parquet) s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        ratings, movies = batch_frames(n)
        with tempfile.TemporaryDirectory() as tmp:
            loaders.write_parquet(Tables(movies=movies, ratings=ratings), Path(tmp))
            lazy = loaders.scan_parquet(Path(tmp))
            row = [
                seconds(lambda r=ratings, m=movies: preferences_polars.analyse(r, m)),
                seconds(lambda r=ratings, m=movies: preferences_duckdb.analyse(r, m)),
                seconds(lambda lz=lazy: preferences_polars.analyse(lz["ratings"], lz["movies"])),
                seconds(lambda: preferences_duckdb.analyse_connection(loaders.duckdb_over_parquet(Path(tmp)))),
            ]
        users = ratings["user_id"].n_unique()
        print(f"| {ratings.height:,} | {users:,} | " + " | ".join(f"{s:.2f}" for s in row) + " |", flush=True)


if __name__ == "__main__":
    main()
