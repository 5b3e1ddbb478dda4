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
@pass_ctx
def import_movielens(ctx: Context, directory: Path) -> None:
    """Import a MovieLens folder: ml-100k (u.item, u.data) or ml-latest (movies.csv,
    ratings.csv), plus an optional credits.csv (movieId,role,person; role director or actor).
    Re-importing the same files adds nothing twice."""
    from personalization.data.importers import read_movielens

    data = read_movielens(directory)
    with ctx.service() as svc:
        n_films = svc.import_films(data.films)
        result = apply_ratings(svc, data.ratings, films=n_films)
    click.echo(
        f"{data.layout}: {plural(n_films, 'film')}, {plural(len(data.ratings), 'rating')} read, {result.summary()}"
    )


@import_.command("ratings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def import_ratings(ctx: Context, file: Path) -> None:
    """Append ratings from a CSV with header userId,movieId,rating,timestamp through the normal
    rating path (embeddings learn from each one). The whole file is checked first."""
    from personalization.data.importers import read_ratings_csv

    events = read_ratings_csv(file)
    with ctx.service() as svc:
        cat = svc.catalogue()
        unknown = sorted({e[1] for e in events} - set(cat.ids.tolist()))
        if unknown:
            raise CineSyncError(
                f"{file}: {len(unknown)} unknown film id(s), e.g. {unknown[:5]}; import the catalogue first"
            )
        result = apply_ratings(svc, events)
    click.echo(f"{plural(len(events), 'rating')} read, {result.summary()}")


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
