"""``cinesync export parquet DIR``: every table as Parquet, for the analytics pipelines.

Registered through the ``cinesync.cli`` entry point; every ``cinesync`` call imports this
module, so it imports only click here and Polars/psycopg inside the command.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["export_command"]


@click.group("export")
def export_command() -> None:
    """Copy the engine's data out for analysis."""


@export_command.command("parquet")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_parquet(directory: Path) -> None:
    """Write every table as DIRECTORY/<table>.parquet (zstd). Polars and DuckDB read them lazily
    (pl.scan_parquet, read_parquet), so the pipelines also run on a laptop far from the database."""
    from personalization.analytics.loaders import read_postgres, write_parquet
    from personalization.config import Settings
    from personalization.service import Service

    with Service.open(Settings.from_env(), listen=False) as svc:
        tables = read_postgres(svc)
    for path in write_parquet(tables, directory):
        rows = getattr(tables, path.stem).height
        click.echo(f"{path.stem:<20} {rows:>9} rows  {path}")
