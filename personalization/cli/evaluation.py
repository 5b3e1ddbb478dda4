"""``cinesync replay DIR`` and ``cinesync tune DIR``: thin front doors to ``replay`` and ``tune``.

Imported by every ``cinesync`` invocation (``cli.main`` registers them), so it imports nothing
heavy at module level: the replay, implicit and matplotlib load inside the commands.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from personalization.errors import CineSyncError

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
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="tuned_settings.json from `cinesync tune` (its tuning cut comes with it); default: the shipped settings.",
)
@click.option(
    "--evaluate-from",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Score only events after this fraction of the stream (default: the settings' tuning cut).",
)
@click.option(
    "--include-tuning-events",
    is_flag=True,
    help="Allow --evaluate-from before the tuning cut (the output is labelled: not a held-out figure).",
)
@click.option(
    "--keep-file-order",
    is_flag=True,
    help="Score and learn same-second events one by one in file order (labelled; the default scores "
    "them all on the state before that second).",
)
@click.option(
    "--half-life",
    "half_life",
    type=click.FloatRange(min=0.0),
    default=None,
    help="Recency half-life of the taste vectors, in days (0 = off; default: the settings'). "
    "See docs/time_and_drift.md and benchmarks/time_study.py.",
)
@click.option(
    "--context-weight",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Weight of the time-of-day/day-of-week re-rank on blend and cinesync (0 = off; default: the settings').",
)
@click.option(
    "--drift-half-life",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="React to drift: while a user is drifting, their taste vector uses this half-life in days (0 = no reaction).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--no-progress", is_flag=True, help="No progress bar (it goes to stderr).")
def replay_command(
    directory: Path,
    every: int,
    models: str,
    max_events: int | None,
    settings_file: Path | None,
    evaluate_from: float | None,
    include_tuning_events: bool,
    keep_file_order: bool,
    half_life: float | None,
    context_weight: float | None,
    drift_half_life: float,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Prequential replay of a MovieLens folder: HR@10, NDCG@10, coverage and novelty of each
    model, with 95% intervals, on the events after the settings' tuning cut."""
    from personalization.config import ModelSettings
    from personalization.evaluation.cut import SHIPPED_CUT, cut_index, read_tuned
    from personalization.evaluation.replay import load_stream, model_names, run_replay
    from personalization.threads import configure_threads

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise click.BadParameter(
            f"name at least one model; choose from {', '.join(model_names())}", param_hint="--models"
        )
    settings, cut = ModelSettings(), SHIPPED_CUT
    if settings_file is not None:
        settings, tuned_cut = read_tuned(settings_file)
        cut = tuned_cut or SHIPPED_CUT
    if half_life is not None:
        settings = dataclasses.replace(settings, half_life_days=half_life)
    if context_weight is not None:
        settings = dataclasses.replace(settings, context_weight=context_weight)
    configure_threads()  # implicit does its own threading: one BLAS thread underneath
    stream = load_stream(directory)
    if max_events:
        stream = stream.head(max_events)
    tuned_from = cut_index(stream, cut.split, cut.last_timestamp)
    start = tuned_from if evaluate_from is None else cut_index(stream, evaluate_from)
    if start < tuned_from and not include_tuning_events:
        raise click.UsageError(
            f"events before {tuned_from} are the settings' tuning events (cut {cut.split:g} of the stream); "
            "scoring them does not measure anything held out. Pass --include-tuning-events to do it anyway "
            "(the output says so)."
        )
    flags: list[bool] = []
    try:
        report = run_replay(
            stream,
            models=names,
            every=every,
            settings=settings,
            progress=not no_progress,
            evaluate_from=start,
            keep_file_order=keep_file_order,
            drift_half_life_days=drift_half_life,
            drift_flags=flags,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    report.protocol["drifting_evaluated"] = sum(flags)
    report.protocol["tuning_cut"] = {**cut.to_dict(), "index": tuned_from}
    report.protocol["includes_tuning_events"] = start < tuned_from
    if not report.protocol.get("evaluated"):
        raise CineSyncError(
            f"nothing to evaluate in {directory}: {report.protocol.get('eligible', 0)} eligible events after the "
            "tuning cut (an event counts when a member with at least 5 earlier ratings rates a film 4 stars "
            "or more); use a larger stream, or --include-tuning-events on one that was not tuned on"
        )
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    click.echo(report.title() + "\n")
    click.echo(report.table())
    click.echo("\nHR@10 (± standard error) by the user's number of earlier ratings:\n")
    click.echo(report.bucket_table())
    p = report.protocol
    click.echo(
        f"\ntime: half-life {p['half_life_days']:g} days, context weight {p['context_weight']:g}, "
        f"drift half-life {p['drift_half_life_days']:g} days; {sum(flags)} of {len(flags)} evaluated "
        "events were by a drifting user (docs/time_and_drift.md)"
    )


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
@click.option(
    "--search",
    type=click.Choice(["grid", "optuna"]),
    default="grid",
    show_default=True,
    help="grid: the staged search below, one setting at a time. optuna: a seeded Optuna (TPE) study "
    "over the same values, every setting at once, one replay of the tuning part per trial "
    "(needs the [tune] extra: pip install 'cinesync-personalization[tune]').",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    default=None,
    help="--search optuna: the number of trials (default 40; about one tuning-part replay each).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="--search optuna: the sampler's seed (default 0); same seed and data, same trials and settings.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1.0),
    default=None,
    help="--search optuna: start no trial after the study has run this many seconds (the defaults' replay "
    "before it not counted; the number of trials, and so the result, can then differ between runs).",
)
@click.option(
    "--no-report",
    is_flag=True,
    help="Skip the two held-out replays (chosen vs defaults); `cinesync replay DIR --settings FILE` does them.",
)
def tune_command(
    directory: Path,
    out: Path,
    split: float,
    every: int,
    max_events: int | None,
    search: str,
    trials: int | None,
    seed: int | None,
    timeout: float | None,
    no_report: bool,
) -> None:
    """Search learning rates, blend weights, neighbourhood sizes and regularisation with the replay,
    on the oldest part of the stream (--split); report the chosen settings on the rest."""
    from personalization.evaluation.replay import load_stream
    from personalization.evaluation.tune import tune
    from personalization.threads import configure_threads

    if search == "grid" and (trials, seed, timeout) != (None, None, None):
        raise click.UsageError("--trials, --seed and --timeout are for --search optuna")
    if search == "optuna":
        from personalization.optional import require

        require("optuna", extra="tune")  # before loading anything: say which pip command brings it
    configure_threads()  # implicit does its own threading: one BLAS thread underneath
    stream = load_stream(directory)
    if max_events:
        stream = stream.head(max_events)

    def say(message: str) -> None:  # one line per step or trial, on stderr
        click.echo(message, err=True)

    if search == "optuna":
        from personalization.evaluation.tune_optuna import tune_optuna

        result = tune_optuna(
            stream,
            trials=trials or 40,
            seed=seed or 0,
            timeout=timeout,
            split=split,
            every=every,
            progress=say,
            report=not no_report,
        )
    else:
        result = tune(stream, split=split, every=every, progress=say, report=not no_report)
    paths = result.write(out)
    click.echo(result.table())
    click.echo(
        f"tuned on events 0-{result.split_index - 1}; held out: events {result.split_index}- "
        f"(the cut is saved with the settings: `cinesync replay DIR --settings {paths['json']}` reports after it)"
    )
    for label, r in result.report.items():
        click.echo(
            f"held-out {label}: HR@10 {r['hr@10']:.4f} ± {r['hr@10_se']:.4f} NDCG@10 {r['ndcg@10']:.4f} "
            f"({r['evaluated']} events)"
        )
    click.echo("chosen: " + json.dumps(result.changes()))
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()))
    click.echo(f"install them with: cinesync settings apply {paths['json']}")
