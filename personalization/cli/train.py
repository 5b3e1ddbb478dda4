"""``cinesync train``: fit the collaborative models on every stored rating and publish them."""

from __future__ import annotations

import os
import socket
import time

import click

from personalization.cli.context import Context, echo_json, pass_ctx

__all__ = ["train_command"]


def _check_every_given() -> bool:
    """Whether --check-every was given on the command line (not its default)."""
    source = click.get_current_context().get_parameter_source("check_every")
    return source is not None and source != click.core.ParameterSource.DEFAULT


@click.command("train")
@click.option("--every", metavar="DURATION", help="Train again every DURATION (30s, 15m, 1h, 1d).")
@click.option(
    "--after",
    type=click.IntRange(min=1),
    metavar="N",
    help="Train when N new ratings arrived since the newest published version.",
)
@click.option(
    "--check-every",
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="With --every or --after: how often to look at the clock and the rating count.",
)
@click.option("--keep", default=3, show_default=True, type=click.IntRange(min=1), help="Published versions to keep.")
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Who fits ALS: local (implicit, in this process) or spark (Spark MLlib in local mode, the "
    "[spark] extra; for rating logs that outgrow one machine). Published in the same format either way.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what each training published as JSON.")
@pass_ctx
def train_command(
    ctx: Context, every: str | None, after: int | None, check_every: str, keep: int, engine: str, as_json: bool
) -> None:
    """Fit the collaborative models (item-kNN, EASE, ALS, sequence, trending, popularity) on
    every stored rating and publish them, versioned, in the database. Every serving process (bot,
    dashboard, HTTP server, CLI) loads the newest version at start and when one is published,
    and never fits a model itself: until a first version exists they recommend from the content
    and popularity terms.

    Without options it trains once. With --every and/or --after it keeps running and trains
    again when either is due (Ctrl-C stops it); a due training that would fit the same
    ratings under the same settings as the newest published version is skipped (and says so),
    so an idle community does not get a new, identical version every DURATION (each new
    version makes every serving process reload the models and rebuild taste vectors). A
    one-off `cinesync train` always publishes.

    --engine spark fits ALS with Spark MLlib (local mode, one session kept for the process) and
    the other models as usual; serving processes load its version unchanged."""
    from personalization.config import ModelSettings
    from personalization.storage.models import ModelStore
    from personalization.training import Schedule, due, parse_duration, train

    for option, value in (("--every", every), ("--check-every", check_every)):
        try:
            if value is not None:
                parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=option) from None
    if engine == "spark":
        from personalization.training.spark import check_available

        check_available()  # a missing [spark] extra is said before anything runs
    schedule = Schedule(parse_duration(every) if every else None, after)
    if schedule.once and _check_every_given():
        raise click.UsageError("--check-every applies to --every or --after: add one of them, or leave it out")
    pause = parse_duration(check_every)
    origin = f"trainer-{socket.gethostname()}-{os.getpid()}"
    with ctx.service() as svc:
        store = ModelStore(svc.db.pool)

        def once(settings: ModelSettings | None = None, fingerprint: str | None = None) -> None:
            settings = settings or svc.engine.saved_model_settings()  # as saved now (they may have changed)
            say = None if as_json else click.echo
            published = train(
                store, settings, origin=origin, keep=keep, progress=say, engine=engine, fingerprint=fingerprint
            )
            if as_json:
                echo_json(
                    {
                        "version": published.version,
                        "n_ratings": published.n_ratings,
                        "read_seconds": round(published.read_seconds, 3),
                        "fit_seconds": published.fit_seconds,
                        "bytes": published.nbytes,
                        "seconds": round(published.seconds, 3),
                    }
                )
            else:
                click.echo(published.summary())

        if schedule.once:
            once()
            return
        from personalization.observability import start_from_env

        start_from_env()  # a long-running process: /metrics and /healthz when CINESYNC_METRICS_PORT is set
        click.echo(f"training {schedule.describe()}; Ctrl-C stops", err=as_json)  # stdout: JSON only
        looked_at: float | None = None  # when a due training was skipped: the clock restarts there
        try:
            while True:
                newest = store.newest()
                last_at = newest.created_at.timestamp() if newest else None
                if due(
                    schedule,
                    now=time.time(),
                    last_at=max(last_at, looked_at) if last_at is not None and looked_at is not None else last_at,
                    n_ratings=store.rating_count(),
                    last_n_ratings=newest.n_ratings if newest else None,
                ):
                    try:
                        settings = svc.engine.saved_model_settings()
                        fingerprint = store.ratings_fingerprint()  # one scan: compared, then published
                        if (
                            newest is not None
                            and newest.ratings_fingerprint == fingerprint
                            and newest.settings == settings.to_dict()
                        ):
                            looked_at = time.time()
                            click.echo(f"nothing changed since version {newest.id}: not training again", err=True)
                        else:
                            once(settings, fingerprint)
                            looked_at = None
                    except Exception as exc:  # the database went away, no ratings yet: try next time
                        click.echo(f"training failed ({type(exc).__name__}: {exc}); trying again later", err=True)
                time.sleep(pause)
        except KeyboardInterrupt:
            click.echo("stopped", err=as_json)
