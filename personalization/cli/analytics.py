"""``cinesync export parquet DIR``: every table as Parquet, for the analytics pipelines, and
``cinesync import parquet DIR``, which loads such an export back into a database.

Registered through the ``cinesync.cli`` entry point; every ``cinesync`` call imports this
module, so it imports only click here and Polars/psycopg inside the command.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["export_command", "import_parquet"]


@click.group("export")
def export_command() -> None:
    """Copy the engine's data out for analysis."""


@export_command.command("parquet")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_parquet(directory: Path) -> None:
    """Write every table as DIRECTORY/<table>.parquet (zstd). Polars and DuckDB read them lazily
    (pl.scan_parquet, read_parquet), so the pipelines also run on a laptop far from the database."""
    from personalization.analytics.loaders import read_postgres, write_parquet
    from personalization.cli.context import output_path, writing
    from personalization.config import Settings
    from personalization.service import Service

    output_path(directory)  # its folder must exist; DIRECTORY itself is created
    with writing(directory):
        directory.mkdir(exist_ok=True)  # before reading the database: a bad DIR costs nothing
    with Service.open(Settings.from_env(), listen=False) as svc:
        tables = read_postgres(svc)
    with writing(directory):
        written = write_parquet(tables, directory)
    for path in written:
        rows = getattr(tables, path.stem).height
        click.echo(f"{path.stem:<20} {rows:>9} rows  {path}")


@click.command("parquet")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete everything the database holds first (asks unless --yes).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def import_parquet(directory: Path, replace: bool, yes: bool) -> None:
    """Load an export written by `cinesync export parquet DIR` back into the database: every
    table, with its ids, times, vectors and settings, in one transaction. The database must be
    empty, unless --replace. Published collaborative models are not exported: run `cinesync
    train` afterwards."""
    from polars.exceptions import PolarsError

    from personalization.analytics.loaders import read_parquet
    from personalization.analytics.tables import SCHEMAS
    from personalization.config import Settings
    from personalization.errors import CineSyncError
    from personalization.service import Service
    from personalization.service.invalidation import Invalidation
    from personalization.storage.ops import count_rows, load_rows

    try:
        tables = read_parquet(directory)
    except FileNotFoundError as exc:
        raise CineSyncError(f"{exc}: give a folder written by `cinesync export parquet`") from None
    except (PolarsError, OSError) as exc:  # a damaged file
        raise CineSyncError(
            f"{directory}: a file is not a readable Parquet export ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); nothing was imported"
        ) from None
    with Service.open(Settings.from_env(), listen=False) as svc:
        if not replace and count_rows(svc.db.pool):
            raise CineSyncError(
                "the database already holds films, users or ratings: import into an empty database, "
                "or add --replace to delete what it holds first"
            )
        if replace and not yes:
            click.confirm("Delete everything the database holds and load the export instead?", abort=True)
        rows = {name: frame.select(list(SCHEMAS[name])).iter_rows() for name, frame in tables.as_dict().items()}
        loaded = load_rows(
            svc.db.pool, rows, replace=replace, note=Invalidation("reset").format(), source="cli: import parquet"
        )
        svc.invalidate()
        links = svc.store_external_ids(svc.catalogue().films)  # the films' IMDb/TMDb ids, from their metadata
    for name, n in loaded.items():
        click.echo(f"{name:<20} {n:>9} rows")
    if links:
        click.echo(f"{'film links':<20} {links:>9} ids")
    click.echo("Collaborative models are not part of an export: run `cinesync train` to fit them on these ratings.")
