"""``cinesync import``: films and ratings from files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from personalization.cli.context import Context, first_line, pass_ctx, plural
from personalization.errors import CineSyncError

__all__ = ["import_", "apply_ratings"]


@click.group("import")
def import_() -> None:
    """Load films and ratings from files."""


@import_.command("movielens")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--keep-movielens-ids",
    is_flag=True,
    help="With links.csv: keep the movieIds as film ids (a database built before links were read) "
    "instead of the IMDb numbers.",
)
@pass_ctx
def import_movielens(ctx: Context, directory: Path, keep_movielens_ids: bool) -> None:
    """Import a MovieLens folder: ml-100k (u.item, u.data) or ml-latest (movies.csv,
    ratings.csv), plus an optional credits.csv (movieId,role,person; role director or actor)
    and links.csv (movieId,imdbId,tmdbId). With links, a film's id is the number of its IMDb id
    (tt0114709 -> 114709), as in `cinesync import imdb`, so both meet on the same films; a film
    already imported from IMDb keeps IMDb's title and credits. Re-importing adds nothing twice."""
    from personalization.data.importers import read_movielens
    from personalization.data.links import renumber

    data = read_movielens(directory)
    films, ratings = data.films, data.ratings
    with ctx.service() as svc:
        imdb = [str(f.metadata["imdb_id"]) for f in films if f.metadata.get("imdb_id")]
        known = svc.film_ids_by_external_id("imdb", imdb) if imdb else {}
        if imdb:
            films, ratings = renumber(films, ratings, known, keep_ids=keep_movielens_ids)
        described = {f.id for f in films if f.metadata.get("imdb_id") in known}
        n_films = svc.import_films([f for f in films if f.id not in described])
        svc.store_external_ids(films)
        result = apply_ratings(svc, ratings, films=n_films)
    links = f" ({plural(len(described), 'film')} already in the catalogue by IMDb id)" if described else ""
    click.echo(
        f"{data.layout}: {plural(len(films), 'film')}{links}, {plural(len(ratings), 'rating')} read, {result.summary()}"
    )


@import_.command("imdb")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--types",
    default="movie,tvMovie",
    show_default=True,
    help="titleType values to keep, comma-separated (e.g. movie,tvMovie,tvMiniSeries,video).",
)
@click.option(
    "--min-votes",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Keep titles with at least this many IMDb votes (title.ratings.tsv.gz); 1000 keeps ~40,000 films.",
)
@click.option(
    "--actors",
    type=click.IntRange(min=0, max=50),
    default=5,
    show_default=True,
    help="The first N billed actors and actresses (by ordering) kept per film.",
)
@click.option("--adult", is_flag=True, help="Keep titles marked isAdult.")
@pass_ctx
def import_imdb(ctx: Context, directory: Path, types: str, min_votes: int, actors: int, adult: bool) -> None:
    """Build the catalogue from IMDb's dataset files in DIRECTORY: title.basics.tsv.gz (required),
    title.ratings.tsv.gz, title.crew.tsv.gz, title.principals.tsv.gz and name.basics.tsv.gz, as
    downloaded (gzip, tab-separated, \\N for null). Keeps title, year, runtime, genres, directors
    and the first billed actors by name; a film's id is the number of its IMDb id (tt0111161 ->
    111161) and the IMDb id is kept as its external id. Every line is checked before anything
    is written; re-importing updates the films in place."""
    from tqdm import tqdm

    from personalization.data.imdb import TITLE_TYPES, ImdbOptions, read_imdb

    kept_types = tuple(t.strip() for t in types.split(",") if t.strip())
    if not kept_types:
        raise CineSyncError("--types: name at least one titleType, e.g. movie")
    unknown = [t for t in kept_types if t not in TITLE_TYPES]
    if unknown:
        raise CineSyncError(
            f"--types: unknown titleType {', '.join(unknown)}; IMDb's are {', '.join(TITLE_TYPES)} (case matters)"
        )
    options = ImdbOptions(types=kept_types, min_votes=min_votes, actors=actors, adult=adult)
    with tqdm(total=5, unit="file", desc="reading", disable=None) as bar:

        def step(name: str) -> None:
            bar.set_description(f"reading {name}")
            bar.update(1)

        catalogue = read_imdb(directory, options, progress=step)
    n = written = 0
    with ctx.service() as svc, tqdm(total=len(catalogue), unit="film", desc="films", disable=None) as bar:
        known = svc.film_ids_by_external_id("imdb", catalogue.frame["tconst"].to_list())
        for batch in catalogue.films(known):
            n += svc.import_films(batch)
            written += svc.store_external_ids(batch)
            bar.update(len(batch))
    click.echo(f"imdb: {plural(n, 'film')} imported ({', '.join(kept_types)}), {plural(written, 'IMDb id')} linked")


def _import_history(ctx: Context, user: int, file: Path, expected: str, dry_run: bool) -> None:
    from personalization.data.letterboxd import import_history, read_history
    from personalization.service.results import check_user_id

    user_id = check_user_id(user)
    source, _ = read_history(file)
    if source != expected:
        other = "letterboxd" if expected == "imdb" else "imdb-ratings"
        raise CineSyncError(
            f"{file}: this is a{'n IMDb' if source == 'imdb' else ' Letterboxd'} export; use `cinesync import {other}`"
        )
    with ctx.service() as svc:
        report = import_history(svc, user_id, file, dry_run=dry_run)
    click.echo(report.summary(examples=20) + (" (dry run: nothing stored)" if dry_run else ""))


@import_.command("letterboxd")
@click.argument("user", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would match; store nothing.")
@pass_ctx
def import_letterboxd(ctx: Context, user: int, file: Path, dry_run: bool) -> None:
    """Rate as USER (an engine user id, e.g. a Discord id) the films of a Letterboxd export:
    ratings.csv (Date, Name, Year, Letterboxd URI, Rating 0.5-5) or the export's zip. Films are
    matched by normalised title and year; prints matched / ambiguous / not found. Ratings keep
    their dates; re-importing changes nothing."""
    _import_history(ctx, user, file, "letterboxd", dry_run)


@import_.command("imdb-ratings")
@click.argument("user", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would match; store nothing.")
@pass_ctx
def import_imdb_ratings(ctx: Context, user: int, file: Path, dry_run: bool) -> None:
    """Rate as USER the films of an IMDb ratings export (Const, Your Rating 1-10, Date Rated,
    Title, ..., Year; 7/10 becomes 3.5 stars). Films are matched by IMDb id, else by normalised
    title and year; prints matched / ambiguous / not found. Ratings keep their dates."""
    _import_history(ctx, user, file, "imdb", dry_run)


@import_.command("ratings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def import_ratings(ctx: Context, file: Path) -> None:
    """Append ratings from a MovieLens ratings file: a CSV with header userId,movieId,rating,timestamp
    (ratings.csv) or u.data's tab-separated lines. Streamed through a staging table, so any size
    fits in flat memory: every row is checked and every film must be in the catalogue before the
    first write; then each user's vector learns from their ratings as if rated one by one."""
    import psycopg
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    learned = [0, 0]  # ratings applied so far, of how many

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "learn":
            learned[:] = [learned[0] + done, total]
        if phase not in bars:
            for bar in bars.values():
                bar.close()
            unit, desc = ("B", "checking") if phase == "read" else ("rating", "learning")
            bars[phase] = tqdm(total=total, unit=unit, unit_scale=phase == "read", desc=desc, disable=None)
        bars[phase].update(done)

    with ctx.service() as svc:
        try:
            n, result = svc.import_ratings(file, progress=progress)
        except psycopg.Error as exc:
            raise CineSyncError(
                f"the database failed during the import ({first_line(exc)}): {learned[0]} of "
                f"{plural(learned[1], 'rating')} were stored; run the same command again to complete it "
                "(what is stored already is skipped)"
            ) from exc
        finally:
            for bar in bars.values():
                bar.close()
    click.echo(f"{plural(n, 'rating')} read, {result.summary()}")


def apply_ratings(svc: Any, events: list[Any], *, films: int | None = None) -> Any:
    """``svc.rate_many`` with a progress bar. If the database fails part-way (a `db stop`, a
    restart), say what was stored: each batch is one transaction, and an import skips what is
    already stored, so running the same command again completes it."""
    import psycopg
    from tqdm import tqdm

    stored = 0

    def done(n: int) -> None:
        nonlocal stored
        stored += n
        bar.update(n)

    with tqdm(total=len(events), unit="rating", desc="ratings", disable=None) as bar:
        try:
            return svc.rate_many(events, progress=done)
        except psycopg.Error as exc:
            films_part = f"the {plural(films, 'film')} and " if films else ""
            raise CineSyncError(
                f"the database failed during the import ({first_line(exc)}): {films_part}"
                f"{stored} of {plural(len(events), 'rating')} were stored; run the same command "
                "again to complete it (what is stored already is skipped)"
            ) from exc


# -- verbs ---------------------------------------------------------------------------------------
