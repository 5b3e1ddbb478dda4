"""A catalogue from IMDb's public dataset files (``title.*.tsv.gz``, ``name.basics.tsv.gz``).

The files are tab-separated, gzip-compressed, UTF-8, with a header line, no quoting and ``\\N``
for a missing value. They are read with Polars lazy scans on the streaming engine: each file is
read once, filtered as it streams (only the chosen title types, only the kept films' crew, cast
and names), so memory follows the size of the catalogue kept, not of the files (the principals
file alone has tens of millions of rows).

**Film ids.** A film's engine id is the number of its IMDb id: ``tt0111161`` is film 111161
(IMDb numbers fit the ``movies.id`` integer column). The IMDb id itself is kept as the film's
external id (``imdb_id`` in its metadata and the ``film_external_ids`` table), so a MovieLens
folder with ``links.csv`` (``personalization.data.links``) and a member's Letterboxd or IMDb
export land on the same films. When the database already holds an IMDb id under another film
id (a MovieLens import that kept its movieIds), that film id wins.

Every line is checked before anything is written: a wrong header, a line with the wrong number of
fields, or a malformed id or number is an ``ImportFormatError`` naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from personalization.core.catalogue import Film
from personalization.data.links import imdb_number
from personalization.errors import ImportFormatError

__all__ = ["FILES", "DEFAULT_TYPES", "TITLE_TYPES", "ImdbOptions", "ImdbCatalogue", "read_imdb", "scan_tsv"]

# The documented columns of each file (IMDb's "non-commercial datasets" page).
FILES: dict[str, tuple[str, ...]] = {
    "title.basics.tsv.gz": (
        "tconst",
        "titleType",
        "primaryTitle",
        "originalTitle",
        "isAdult",
        "startYear",
        "endYear",
        "runtimeMinutes",
        "genres",
    ),
    "title.ratings.tsv.gz": ("tconst", "averageRating", "numVotes"),
    "title.crew.tsv.gz": ("tconst", "directors", "writers"),
    "title.principals.tsv.gz": ("tconst", "ordering", "nconst", "category", "job", "characters"),
    "name.basics.tsv.gz": (
        "nconst",
        "primaryName",
        "birthYear",
        "deathYear",
        "primaryProfession",
        "knownForTitles",
    ),
}
DEFAULT_TYPES = ("movie", "tvMovie")
# Every titleType value title.basics.tsv.gz uses (IMDb's dataset documentation).
TITLE_TYPES = (
    "movie",
    "short",
    "tvMovie",
    "tvSeries",
    "tvEpisode",
    "tvMiniSeries",
    "tvSpecial",
    "tvShort",
    "tvPilot",
    "video",
    "videoGame",
)
ACTING = ("actor", "actress")
FIRST_YEAR, LAST_YEAR = 1850, 2200  # the movies.year CHECK constraint (sql/V001)
_TCONST = r"^tt\d{7,9}$"  # 9 digits at most: the number must fit movies.id (an integer)
_NCONST = r"^nm\d{7,10}$"
_NCONSTS = r"^nm\d{7,10}(,nm\d{7,10})*$"
_DIGITS = r"^\d{1,9}$"
_NULL = "\\N"


@dataclass(frozen=True)
class ImdbOptions:
    types: tuple[str, ...] = DEFAULT_TYPES  # titleType values kept
    min_votes: int = 0  # numVotes at least this (needs title.ratings.tsv.gz when > 0)
    actors: int = 5  # the first N actors and actresses by ``ordering``
    adult: bool = False  # keep titles with isAdult = 1


@dataclass
class ImdbCatalogue:
    """The kept films as one frame: ``tconst, title, year, runtime, genres, rating, votes,
    directors, actors`` (lists of names in billing order)."""

    frame: pl.DataFrame

    def __len__(self) -> int:
        return self.frame.height

    def films(self, known: Mapping[str, int] | None = None, batch: int = 5000) -> Iterator[list[Film]]:
        """The films in batches. ``known``: IMDb ids the database already holds under a film id."""
        known = known or {}
        for chunk in self.frame.iter_slices(batch):
            yield [_film(row, known) for row in chunk.iter_rows(named=True)]


def _film(row: dict[str, Any], known: Mapping[str, int]) -> Film:
    tconst = row["tconst"]
    metadata: dict[str, Any] = {"imdb_id": tconst, "source": "imdb"}
    for key in ("runtime", "rating", "votes"):
        if row[key] is not None:
            metadata[{"runtime": "runtime_minutes", "rating": "imdb_rating", "votes": "imdb_votes"}[key]] = row[key]
    return Film(
        known.get(tconst, imdb_number(tconst)),
        row["title"],
        row["year"],
        tuple(row["genres"] or ()),
        tuple(row["directors"] or ()),
        tuple(row["actors"] or ()),
        metadata,
    )


def scan_tsv(path: Path, columns: tuple[str, ...]) -> pl.LazyFrame:
    """One IMDb file as a lazy frame of string columns plus ``line`` (its line number), and a
    ``bad`` column that is true on a line with the wrong number of fields. Each line is read
    whole and split here, so a short line is caught too (a CSV reader would pad it with nulls)."""
    lines = pl.scan_csv(
        path,
        has_header=False,
        separator="\x1f",  # a byte IMDb never writes: each line arrives as one field
        quote_char=None,
        infer_schema=False,
        new_columns=["text"],
        skip_rows=1,
    ).with_row_index("line", offset=2)
    text = pl.col("text").fill_null("")
    parts = text.str.split_exact("\t", len(columns) - 1).struct.rename_fields(list(columns))
    return lines.select(
        pl.col("line"),
        (text.str.count_matches("\t") != len(columns) - 1).alias("bad"),
        parts.alias("fields"),
    ).unnest("fields")


def _check_header(path: Path, columns: tuple[str, ...]) -> None:
    import gzip

    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            first = f.readline().rstrip("\r\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path}: not a readable gzip-compressed UTF-8 file ({exc})") from None
    if first.lstrip("\ufeff").split("\t") != list(columns):
        raise ImportFormatError(f"{path}:1: expected the header {' '.join(columns)} (tab-separated)")


def _null(name: str) -> pl.Expr:
    return pl.when(pl.col(name) == _NULL).then(None).otherwise(pl.col(name)).alias(name)


def _collect(path: Path, frame: pl.LazyFrame, checks: dict[str, pl.Expr]) -> pl.DataFrame:
    """Collect on the streaming engine; the first line failing a check is an error naming it.
    ``checks`` maps a message to an expression true on a malformed line."""
    flags = [expr.fill_null(False).alias(f"_bad{i}") for i, expr in enumerate(checks.values())]
    try:
        df = frame.with_columns(flags).collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ImportFormatError(f"{path}: cannot read it ({str(exc).splitlines()[0]})") from None
    names = [f.meta.output_name() for f in flags]
    if names and df.height:
        bad = df.filter(pl.any_horizontal(names))
        if bad.height:
            first = bad.sort("line").row(0, named=True)
            message = next(m for m, n in zip(checks, names) if first[n])
            raise ImportFormatError(f"{path}:{first['line']}: {message}")
    return df.drop(names)


def read_imdb(
    directory: Path, options: ImdbOptions | None = None, *, progress: Callable[[str], Any] | None = None
) -> ImdbCatalogue:
    """Read the kept films with their directors and first billed actors (names, not ids).
    ``title.basics`` is required; the crew, principals and ratings files are used when present
    (``title.ratings`` is required by a minimum vote count); ``name.basics`` is required with
    the crew or the principals. ``progress(file name)`` is called as each file starts."""
    options = options or ImdbOptions()
    directory = Path(directory)
    paths = {name: directory / name for name in FILES}
    if not paths["title.basics.tsv.gz"].exists():
        raise ImportFormatError(f"{directory}: no title.basics.tsv.gz; expected IMDb's dataset files there")
    if options.min_votes > 0 and not paths["title.ratings.tsv.gz"].exists():
        raise ImportFormatError(f"{directory}: a minimum vote count needs title.ratings.tsv.gz")
    people = [n for n in ("title.crew.tsv.gz", "title.principals.tsv.gz") if paths[n].exists()]
    if people and not paths["name.basics.tsv.gz"].exists():
        raise ImportFormatError(f"{directory}: {' and '.join(people)} need name.basics.tsv.gz for the names")
    for name, path in paths.items():
        if path.exists():
            _check_header(path, FILES[name])
    step = progress or (lambda name: None)

    step("title.basics.tsv.gz")
    films = _read_basics(paths["title.basics.tsv.gz"], options)
    if paths["title.ratings.tsv.gz"].exists():
        step("title.ratings.tsv.gz")
        films = _add_votes(paths["title.ratings.tsv.gz"], films, options.min_votes)
    else:
        films = films.with_columns(pl.lit(None, pl.Float64).alias("rating"), pl.lit(None, pl.Int64).alias("votes"))
    kept = films.select("tconst")
    credits = pl.DataFrame(schema={"tconst": pl.String, "role": pl.String, "rank": pl.Int64, "nconst": pl.String})
    if paths["title.crew.tsv.gz"].exists():
        step("title.crew.tsv.gz")
        credits = pl.concat([credits, _read_directors(paths["title.crew.tsv.gz"], kept)])
    if paths["title.principals.tsv.gz"].exists():
        step("title.principals.tsv.gz")
        credits = pl.concat([credits, _read_actors(paths["title.principals.tsv.gz"], kept, options.actors)])
    if credits.height:
        step("name.basics.tsv.gz")
        names = _read_names(paths["name.basics.tsv.gz"], credits.select("nconst").unique())
        credits = credits.join(names, on="nconst", how="inner")
    else:
        credits = credits.with_columns(pl.lit(None, pl.String).alias("name"))
    people_lists = (
        credits.sort("tconst", "role", "rank")
        .group_by("tconst", "role", maintain_order=True)
        .agg(pl.col("name"))
        .pivot(on="role", index="tconst", values="name")
    )
    for role in ("director", "actor"):
        if role not in people_lists.columns:
            people_lists = people_lists.with_columns(pl.lit(None, pl.List(pl.String)).alias(role))
    frame = films.join(people_lists, on="tconst", how="left").rename({"director": "directors", "actor": "actors"})
    return ImdbCatalogue(frame.sort("tconst"))


def _read_basics(path: Path, options: ImdbOptions) -> pl.DataFrame:
    scan = scan_tsv(path, FILES[path.name])
    keep = pl.col("titleType").is_in(list(options.types))
    if not options.adult:
        keep &= pl.col("isAdult") != "1"
    frame = scan.filter(keep | pl.col("bad")).select(
        "line",
        "bad",
        "tconst",
        pl.col("primaryTitle").alias("title"),
        _null("startYear"),
        _null("runtimeMinutes"),
        _null("genres"),
    )
    df = _collect(
        path,
        frame,
        {
            f"expected {len(FILES[path.name])} tab-separated fields": pl.col("bad"),
            "tconst must look like tt0111161": ~pl.col("tconst").str.contains(_TCONST),
            "empty primaryTitle": pl.col("title").str.strip_chars().is_in(["", _NULL]),
            "startYear must be a year or \\N": ~pl.col("startYear").str.contains(r"^\d{4}$"),
            "runtimeMinutes must be a whole number or \\N": ~pl.col("runtimeMinutes").str.contains(_DIGITS),
        },
    )
    year = pl.col("startYear").cast(pl.Int64)
    return df.select(
        "tconst",
        "title",
        pl.when(year.is_between(FIRST_YEAR, LAST_YEAR)).then(year).otherwise(None).alias("year"),
        pl.col("runtimeMinutes").cast(pl.Int64).alias("runtime"),
        pl.col("genres").str.split(",").alias("genres"),
    ).unique("tconst", keep="first", maintain_order=True)


def _add_votes(path: Path, films: pl.DataFrame, min_votes: int) -> pl.DataFrame:
    scan = scan_tsv(path, FILES[path.name])
    frame = scan.join(films.lazy().select("tconst"), on="tconst", how="semi")
    bad_rows = scan.filter(pl.col("bad")).select("line", "bad", "tconst", "averageRating", "numVotes")
    votes = _collect(
        path,
        pl.concat([frame.select("line", "bad", "tconst", "averageRating", "numVotes"), bad_rows]),
        {
            f"expected {len(FILES[path.name])} tab-separated fields": pl.col("bad"),
            "averageRating must be a number such as 7.5": ~pl.col("averageRating").str.contains(r"^\d{1,2}(\.\d+)?$"),
            "numVotes must be a whole number": ~pl.col("numVotes").str.contains(_DIGITS),
        },
    ).filter(~pl.col("bad"))
    votes = votes.select(
        "tconst",
        pl.col("averageRating").cast(pl.Float64).alias("rating"),
        pl.col("numVotes").cast(pl.Int64).alias("votes"),
    ).unique("tconst", keep="first")
    joined = films.join(votes, on="tconst", how="left")
    return joined.filter(pl.col("votes").fill_null(0) >= min_votes) if min_votes > 0 else joined


def _kept_or_bad(scan: pl.LazyFrame, kept: pl.DataFrame) -> pl.LazyFrame:
    """The lines of the kept films, and every malformed line (so it is reported)."""
    return pl.concat([scan.join(kept.lazy(), on="tconst", how="semi"), scan.filter(pl.col("bad"))])


def _read_directors(path: Path, kept: pl.DataFrame) -> pl.DataFrame:
    scan = scan_tsv(path, FILES[path.name]).select("line", "bad", "tconst", _null("directors"))
    df = _collect(
        path,
        _kept_or_bad(scan, kept),
        {
            f"expected {len(FILES[path.name])} tab-separated fields": pl.col("bad"),
            "directors must be nconsts such as nm0001104, comma-separated, or \\N": ~pl.col("directors").str.contains(
                _NCONSTS
            ),
        },
    ).filter(~pl.col("bad"))
    return (
        df.select("tconst", pl.col("directors").str.split(",").alias("nconst"))
        .explode("nconst")
        .drop_nulls("nconst")
        .with_columns(pl.lit("director").alias("role"), pl.int_range(pl.len()).over("tconst").alias("rank"))
        .select("tconst", "role", "rank", "nconst")
    )


def _read_actors(path: Path, kept: pl.DataFrame, n: int) -> pl.DataFrame:
    scan = (
        scan_tsv(path, FILES[path.name])
        .filter(pl.col("category").is_in(list(ACTING)) | pl.col("bad"))
        .select("line", "bad", "tconst", "ordering", "nconst")
    )
    df = _collect(
        path,
        _kept_or_bad(scan, kept),
        {
            f"expected {len(FILES[path.name])} tab-separated fields": pl.col("bad"),
            "ordering must be a whole number": ~pl.col("ordering").str.contains(_DIGITS),
            "nconst must look like nm0000151": ~pl.col("nconst").str.contains(_NCONST),
        },
    ).filter(~pl.col("bad"))
    return (
        df.select("tconst", pl.col("ordering").cast(pl.Int64).alias("rank"), "nconst")
        .sort("tconst", "rank")
        .group_by("tconst", maintain_order=True)
        .head(n)
        .with_columns(pl.lit("actor").alias("role"))
        .select("tconst", "role", "rank", "nconst")
    )


def _read_names(path: Path, wanted: pl.DataFrame) -> pl.DataFrame:
    scan = scan_tsv(path, FILES[path.name]).select("line", "bad", "nconst", "primaryName")
    frame = pl.concat([scan.join(wanted.lazy(), on="nconst", how="semi"), scan.filter(pl.col("bad"))])
    df = _collect(
        path,
        frame,
        {
            f"expected {len(FILES[path.name])} tab-separated fields": pl.col("bad"),
            "nconst must look like nm0000151": ~pl.col("nconst").str.contains(_NCONST),
        },
    ).filter(~pl.col("bad"))
    return (
        df.filter(~pl.col("primaryName").is_in(["", _NULL]))
        .select("nconst", pl.col("primaryName").str.slice(0, 300).alias("name"))
        .unique("nconst", keep="first")
    )
