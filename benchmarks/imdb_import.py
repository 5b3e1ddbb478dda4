"""How fast `cinesync import imdb` reads IMDb's dataset files: rows per second and peak memory.

IMDb's files cannot be downloaded here, so this writes files of the same layout (gzip,
tab-separated, ``\\N`` nulls, the documented headers) with a realistic mix: a quarter of the
titles are films, most are episodes and shorts; about six principals per title; a rating for
four titles in ten. ``--titles 1000000`` gives about 9 million lines in all (IMDb's own files
hold about 11 million titles and 90 million principals: the same shape, ten times longer).
Then it times ``read_imdb`` (every line of every file scanned, checked and filtered) and reports
rows per second and the process's peak memory, which should stay near the kept catalogue's
size however long the files are (``--titles`` at two sizes shows it).

    python benchmarks/imdb_import.py --titles 1000000
"""

from __future__ import annotations

import argparse
import gzip
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from personalization.data.imdb import FILES, ImdbOptions, read_imdb

TYPES = np.array(["movie", "tvMovie", "short", "tvEpisode", "tvSeries", "video", "videoGame"])
TYPE_SHARE = [0.20, 0.05, 0.10, 0.55, 0.04, 0.04, 0.02]
GENRES = np.array(["Drama", "Comedy", "Crime,Drama", "Action,Adventure,Sci-Fi", "Documentary", "Horror", "\\N"])
CATEGORIES = np.array(["actor", "actress", "director", "writer", "producer", "composer", "self"])
CATEGORY_SHARE = [0.30, 0.22, 0.10, 0.14, 0.10, 0.04, 0.10]
CHUNK = 250_000


def _write(path: Path, columns: tuple[str, ...], chunks: object) -> int:
    """Write frames as IMDb does (header once, tabs, no quoting, ``\\N``); returns the row count."""
    rows = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(("\t".join(columns) + "\n").encode())
        for frame in chunks:  # type: ignore[attr-defined]
            out.write(
                frame.write_csv(separator="\t", quote_style="never", null_value="\\N", include_header=False).encode()
            )
            rows += frame.height
    return rows


def _ids(prefix: str, ids: np.ndarray) -> pl.Expr:
    return pl.concat_str(pl.lit(prefix), pl.lit(pl.Series(ids)).cast(pl.String).str.zfill(7))


def generate(folder: Path, n_titles: int, seed: int = 7) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    n_names = max(n_titles, 10)
    counts = {}

    def basics():
        for start in range(1, n_titles + 1, CHUNK):
            ids = np.arange(start, min(start + CHUNK, n_titles + 1))
            n = len(ids)
            yield pl.DataFrame({"i": ids}).select(
                _ids("tt", ids).alias("tconst"),
                pl.Series(rng.choice(TYPES, n, p=TYPE_SHARE)).alias("titleType"),
                pl.concat_str(pl.lit("Title "), pl.col("i").cast(pl.String)).alias("primaryTitle"),
                pl.concat_str(pl.lit("Original "), pl.col("i").cast(pl.String)).alias("originalTitle"),
                pl.Series((rng.random(n) < 0.02).astype(int).astype(str)).alias("isAdult"),
                pl.Series(rng.integers(1900, 2026, n).astype(str)).alias("startYear"),
                pl.lit("\\N").alias("endYear"),
                pl.Series(rng.integers(5, 200, n).astype(str)).alias("runtimeMinutes"),
                pl.Series(rng.choice(GENRES, n)).alias("genres"),
            )

    def ratings():
        for start in range(1, n_titles + 1, CHUNK):
            ids = np.arange(start, min(start + CHUNK, n_titles + 1))
            ids = ids[rng.random(len(ids)) < 0.4]
            yield pl.DataFrame({"i": ids}).select(
                _ids("tt", ids).alias("tconst"),
                pl.Series(np.round(rng.uniform(1, 10, len(ids)), 1).astype(str)).alias("averageRating"),
                pl.Series(rng.zipf(1.6, len(ids)).clip(5, 3_000_000).astype(str)).alias("numVotes"),
            )

    def crew():
        for start in range(1, n_titles + 1, CHUNK):
            ids = np.arange(start, min(start + CHUNK, n_titles + 1))
            n = len(ids)
            first, second = rng.integers(1, n_names, n), rng.integers(1, n_names, n)
            two = rng.random(n) < 0.1
            yield pl.DataFrame({"i": ids}).select(
                _ids("tt", ids).alias("tconst"),
                pl.when(pl.lit(pl.Series(two)))
                .then(pl.concat_str(_ids("nm", first), pl.lit(","), _ids("nm", second)))
                .otherwise(_ids("nm", first))
                .alias("directors"),
                _ids("nm", second).alias("writers"),
            )

    def principals():
        for start in range(1, n_titles + 1, CHUNK):
            ids = np.repeat(np.arange(start, min(start + CHUNK, n_titles + 1)), 6)
            n = len(ids)
            yield pl.DataFrame({"i": ids}).select(
                _ids("tt", ids).alias("tconst"),
                (pl.int_range(pl.len()) % 6 + 1).cast(pl.String).alias("ordering"),
                _ids("nm", rng.integers(1, n_names, n)).alias("nconst"),
                pl.Series(rng.choice(CATEGORIES, n, p=CATEGORY_SHARE)).alias("category"),
                pl.lit("\\N").alias("job"),
                pl.lit('["A Character"]').alias("characters"),
            )

    def names():
        for start in range(1, n_names + 1, CHUNK):
            ids = np.arange(start, min(start + CHUNK, n_names + 1))
            yield pl.DataFrame({"i": ids}).select(
                _ids("nm", ids).alias("nconst"),
                pl.concat_str(pl.lit("Person "), pl.col("i").cast(pl.String)).alias("primaryName"),
                pl.lit("1960").alias("birthYear"),
                pl.lit("\\N").alias("deathYear"),
                pl.lit("actor").alias("primaryProfession"),
                pl.lit("tt0000001").alias("knownForTitles"),
            )

    makers = {
        "title.basics.tsv.gz": basics,
        "title.ratings.tsv.gz": ratings,
        "title.crew.tsv.gz": crew,
        "title.principals.tsv.gz": principals,
        "name.basics.tsv.gz": names,
    }
    for name, make in makers.items():
        counts[name] = _write(folder / name, FILES[name], make())
    return counts


def read(folder: Path, min_votes: int) -> None:
    """The timed part, in its own process so its peak memory is its own."""
    t0 = time.perf_counter()
    catalogue = read_imdb(folder, ImdbOptions(min_votes=min_votes))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(catalogue)} {seconds} {peak}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=1_000_000, help="titles in title.basics (default 1,000,000)")
    parser.add_argument("--min-votes", type=int, default=0)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # the timed child process
    args = parser.parse_args(argv)
    if args.read:
        read(args.read, args.min_votes)
        return
    with tempfile.TemporaryDirectory(prefix="imdb-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        counts = generate(folder, args.titles)
        generated = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        child = [sys.executable, __file__, "--read", str(folder), "--min-votes", str(args.min_votes)]
        films, seconds, peak = subprocess.run(child, capture_output=True, text=True, check=True).stdout.split()
    lines = sum(counts.values())
    print(f"generated {lines:,} lines in 5 files ({size / 1e6:.0f} MB gzip) in {generated:.1f} s")
    for name, n in counts.items():
        print(f"  {name:<24} {n:>12,} rows")
    print(
        f"read_imdb: {int(films):,} films kept, {float(seconds):.1f} s, {lines / float(seconds):,.0f} rows/s; "
        f"peak memory {float(peak):,.0f} MB (the whole process: Python, Polars and the kept catalogue)"
    )


if __name__ == "__main__":
    main()
