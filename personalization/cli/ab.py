"""``cinesync ab``: A/B tests of per-member ranking settings (docs/experiments.md)."""

from __future__ import annotations

from typing import Any

import click

from personalization.cli.context import Context, echo_json, pass_ctx, plural

__all__ = ["ab_command", "format_report", "format_experiment"]


def format_experiment(e: Any) -> str:
    """One line: name, status, variants and exposures so far."""
    variants = "; ".join(v.label for v in e.variants)
    since = f"{e.created_at:%Y-%m-%d %H:%M}" if e.created_at else "-"
    status = e.status if e.running else f"stopped {e.stopped_at:%Y-%m-%d %H:%M}"
    return (
        f"{e.name:<20} {status:<22} since {since}  {plural(e.exposures, 'exposure')} to "
        f"{plural(e.members, 'member')}  variants: {variants}"
    )


def format_report(report: Any) -> str:
    """Per-variant outcome rates with their 95 % intervals, then the verdict."""
    from personalization.core.experiments import METRICS

    e = report.experiment
    lines = [
        f"experiment {e.name} ({e.status}); outcome: {report.metric} = a shown pick "
        f"{METRICS[report.metric]} after it was shown",
        f"  {'variant':<12} {'members':>8} {'picks':>7} {'outcomes':>9} {'rate':>7}  95% CI",
    ]
    for v in report.variants:
        low, high = v.interval
        lines.append(f"  {v.name:<12} {v.members:>8} {v.shown:>7} {v.hits:>9} {v.rate:>7.1%}  [{low:.1%}, {high:.1%}]")
    lines.extend(f"verdict: {c.verdict}" for c in report.comparisons)
    return "\n".join(lines)


@click.group("ab")
def ab_command() -> None:
    """A/B tests of per-member ranking settings.

    Each member is in one variant of a running experiment, chosen by a hash of the experiment's
    name and their id (the same in every process); the variant's settings apply wherever they
    get picks (CLI, bot, dashboard, HTTP), and every pick shown to them is logged with its rank.
    The report counts, per variant, the shown picks the members went on to rate 4+ stars, love
    or like (or, with --metric acted, rate or react to at all).
    """


@ab_command.command("create")
@click.argument("name")
@click.argument("variants", nargs=-1, required=True)
@click.option("--description", default="", help="What the experiment is for.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ab_create(ctx: Context, name: str, variants: tuple[str, ...], description: str, as_json: bool) -> None:
    """Start experiment NAME with VARIANTS, the first being the control.

    A variant is NAME or NAME:SETTING=VALUE,...; the settings are per-member ranking settings:
    blend_weight (the personal term's share, 0 to 1) and weight_<model> (a base model's share
    before the base shares are renormalised, e.g. weight_ease=0). Example:

        cinesync ab create blend-08 A B:blend_weight=0.8
    """
    with ctx.service() as svc:
        experiment = svc.create_experiment(name, list(variants), description=description)
    if as_json:
        echo_json(experiment.to_dict())
        return
    click.echo(f"started {format_experiment(experiment)}")


@ab_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ab_list(ctx: Context, as_json: bool) -> None:
    """List the experiments, newest first, with their exposures so far."""
    with ctx.service() as svc:
        found = svc.experiments()
    if as_json:
        echo_json([e.to_dict() for e in found])
        return
    if not found:
        click.echo("no experiments yet: cinesync ab create NAME A B:blend_weight=0.8")
    for e in found:
        click.echo(format_experiment(e))


@ab_command.command("report")
@click.argument("name")
@click.option(
    "--metric",
    type=click.Choice(["liked", "acted"]),
    default="liked",
    show_default=True,
    help="liked: rated 4+ stars, loved or liked; acted: rated or reacted to at all.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ab_report(ctx: Context, name: str, metric: str, as_json: bool) -> None:
    """Outcome rate per variant with a 95% interval, each variant against the control, and a
    plain verdict ("B is better than A: +4.2 pts ..." or "no clear difference yet ...; need ~N
    more exposures")."""
    with ctx.service() as svc:
        report = svc.experiment_report(name, metric=metric)
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(format_report(report))


@ab_command.command("stop")
@click.argument("name")
@pass_ctx
def ab_stop(ctx: Context, name: str) -> None:
    """Stop experiment NAME: its variants no longer apply and nothing more is logged (its report
    stays available)."""
    with ctx.service() as svc:
        experiment = svc.stop_experiment(name)
    click.echo(f"stopped {format_experiment(experiment)}")
