"""``cinesync export-user``: everything stored about one person, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from personalization.cli.context import Context, output_path, pass_ctx, plural, writing

__all__ = ["export_user_command"]


@click.command("export-user")
@click.argument("user", type=int)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON to this file (default: print it).",
)
@pass_ctx
def export_user_command(ctx: Context, user: int, output: Path | None) -> None:
    """Everything stored about USER, as JSON: every row of every table that holds their id
    (ratings, feedback, taste vector, profile, blend weights, A/B exposures, their name, and
    any table added later), and their variant in each running A/B test. `cinesync forget USER`
    deletes all of it."""
    if output is not None:
        output_path(output)
    with ctx.service() as svc:
        data = svc.user_data(user)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if output is None:
        click.echo(text)
        return
    with writing(output):
        output.write_text(text + "\n", encoding="utf-8")
    rows = sum(len(r) for r in data["tables"].values())
    click.echo(f"user {user}: {plural(rows, 'row')} from {plural(len(data['tables']), 'table')} written to {output}")
