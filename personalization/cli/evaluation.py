"""``cinesync replay DIR`` and ``cinesync tune DIR``: thin front doors to ``replay`` and ``tune``.

Imported by every ``cinesync`` invocation (``cli.main`` registers them), so it imports nothing
heavy at module level: the replay, implicit and matplotlib load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["replay_command", "tune_command"]


def _all_models() -> str:
    from personalization.evaluation.replay import model_names

    return ",".join(model_names())


class _TuneCommand(click.Command):
    """``--help`` ends with the search space, read from the registry when help is asked for."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from personalization.evaluation.tune import search_space

        with formatter.section("Search space (from the base-model registry)"):
            formatter.write_dl(
                [
                    (f"{stage}: {name}", ", ".join(f"{v:g}" for v in values))
                    for stage, grid in search_space().items()
                    for name, values in grid.items()
                ]
            )


@click.command("replay")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--every",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Evaluate every N-th eligible event (all events are still learned from).",
)
@click.option(
    "--models",
    default=_all_models,
    show_default="every model",
    help="Comma-separated models to compare (see the list in the error for an unknown one).",
)
@click.option("--max-events", type=click.IntRange(min=1), default=None, help="Only the oldest N ratings.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--no-progress", is_flag=True, help="No progress bar (it goes to stderr).")
def replay_command(
    directory: Path, every: int, models: str, max_events: int | None, as_json: bool, no_progress: bool
) -> None:
    """Prequential replay of a MovieLens folder: HR@10 and NDCG@10 of each model, side by side."""
    from personalization.evaluation.replay import load_stream, model_names, run_replay
    from personalization.threads import configure_threads

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise click.BadParameter(
            f"name at least one model; choose from {', '.join(model_names())}", param_hint="--models"
        )
    configure_threads()  # implicit does its own threading: one BLAS thread underneath
    stream = load_stream(directory)
    try:
        report = run_replay(stream, models=names, every=every, progress=not no_progress, max_events=max_events)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    p = report.protocol
    click.echo(
        f"{p['dataset']}: {p['events']} ratings, {p['users']} users, {p['films']} films; "
        f"{p['eligible']} eligible events, {p['evaluated']} evaluated (every {p['every']})\n"
    )
    click.echo(report.table())
    click.echo("\nHR@10 by the user's number of earlier ratings:\n")
    click.echo(report.bucket_table())


@click.command("tune", cls=_TuneCommand)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("tuning"),
    show_default=True,
    help="Where tuning.csv/.md/.png and tuned_settings.json go.",
)
@click.option(
    "--split",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.1, 1.0),
    help="Fraction of the stream (oldest first) to tune on; the rest is the report.",
)
@click.option(
    "--every",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Evaluate every N-th eligible event during the search.",
)
@click.option("--max-events", type=click.IntRange(min=1), default=None, help="Only the oldest N ratings.")
def tune_command(directory: Path, out: Path, split: float, every: int, max_events: int | None) -> None:
    """Search learning rates, blend weights, neighbourhood sizes and regularisation with the replay."""
    from personalization.evaluation.replay import load_stream
    from personalization.evaluation.tune import tune
    from personalization.threads import configure_threads

    configure_threads()  # implicit does its own threading: one BLAS thread underneath
    stream = load_stream(directory)
    if max_events:
        stream = stream.head(max_events)
    result = tune(stream, split=split, every=every, progress=lambda m: click.echo(m, err=True))
    paths = result.write(out)
    click.echo(result.table())
    for label, r in result.report.items():
        click.echo(f"held-out {label}: HR@10 {r['hr@10']:.4f} NDCG@10 {r['ndcg@10']:.4f} ({r['evaluated']} events)")
    click.echo("chosen: " + json.dumps(result.changes()))
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()))
