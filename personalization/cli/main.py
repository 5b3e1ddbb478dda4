"""``cinesync``: a thin command line over the service (parse options, call a verb, print).

The core's commands are registered here; front-ends add theirs (``cinesync bot``, ``cinesync
dashboard``) through the ``cinesync.cli`` entry-point group, loaded when the command line is
used, so importing this module never imports them. Every command imports its heavy modules
inside its body: ``cinesync --help`` loads neither numpy nor psycopg.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from personalization import __version__
from personalization.cli.ab import ab_command
from personalization.cli.analytics import export_command, import_parquet
from personalization.cli.context import Context, echo_json, first_line, pass_ctx, plural
from personalization.cli.db import db
from personalization.cli.evaluation import replay_command, tune_command
from personalization.cli.explain import explain_command
from personalization.cli.group import group_command, mood_option
from personalization.cli.imports import apply_ratings, import_
from personalization.cli.onboard import onboard_command
from personalization.cli.own_data import export_user_command
from personalization.cli.serve import serve_command
from personalization.cli.settings import settings_command
from personalization.cli.train import train_command
from personalization.cli.unrate import unrate_command
from personalization.errors import CineSyncError
from personalization.evaluation.bench import bench_command
from personalization.optional import MissingExtra, extra_for, install_hint

log = logging.getLogger("cinesync")
PLUGIN_GROUP = "cinesync.cli"


class CineSyncGroup(click.Group):
    """Turns the engine's errors into one clear line and exit code 2 (no traceback), and adds
    the front-ends' commands from the ``cinesync.cli`` entry points when first asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugins_loaded = False

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CineSyncError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except ModuleNotFoundError as exc:
            extra = extra_for(exc.name)  # a command's lazy import of an optional package
            if extra is None:
                raise
            click.echo(f"error: {MissingExtra(exc.name or '', extra)}", err=True)
            sys.exit(2)
        except Exception as exc:
            import psycopg  # here, not at the top: `cinesync --help` stays light

            if not isinstance(exc, psycopg.Error):
                raise
            # The server went away (`db stop`, a restart) or refused a statement: one line, not
            # a traceback. Each verb is one transaction, so nothing is half-written.
            click.echo(f"error: the database failed: {first_line(exc)}", err=True)
            sys.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.load_plugins()
        return super().get_command(ctx, cmd_name)

    def load_plugins(self) -> None:
        """Add the commands front-ends contribute (bot, dashboard). One that fails to load is
        listed anyway, saying why, and says so again when called (never "No such command")."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=PLUGIN_GROUP):
            if ep.name in self.commands:
                continue  # a core command: registered directly, never replaced by a plugin
            try:
                command = ep.load()
                if not isinstance(command, click.Command):
                    raise TypeError(f"{ep.value} is a {type(command).__name__}, not a click command")
            except Exception as exc:  # a broken front-end must not break the core CLI
                log.debug("%s plugin %s failed to load", PLUGIN_GROUP, ep.name, exc_info=True)
                command = _broken_plugin(ep.name, ep.value, exc)
            self.add_command(command, ep.name)


def _broken_plugin(name: str, target: str, exc: BaseException) -> click.Command:
    reason = f"{type(exc).__name__}: {first_line(exc)}"
    if isinstance(exc, MissingExtra):  # not broken, just not installed: say which extra brings it
        reason = f"needs the [{exc.extra}] extra: {install_hint(exc.extra)}"

    def fail(**_: Any) -> None:
        if isinstance(exc, MissingExtra):
            raise CineSyncError(f"`cinesync {name}` {reason}")
        raise CineSyncError(
            f"the `{name}` command could not be loaded ({target}): {reason}. "
            "Reinstall the project (pip install -e .) or run with -v for details"
        )

    return click.Command(
        name,
        callback=fail,
        help=f"(unavailable: {reason})",
        short_help=f"(unavailable: {reason})",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


@click.group(cls=CineSyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="cinesync", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
def main(verbose: bool) -> None:
    """CineSync Personalization: learn each person's movie taste from their ratings, online.

    Data lives in PostgreSQL: by default an embedded server under $CINESYNC_HOME (default
    ./.cinesync); set CINESYNC_DATABASE_URL to use any other PostgreSQL 14+.

    The embedded server keeps running after a command ends (the dashboard, a bot or a `psql` on
    `cinesync db url` may use it); `cinesync db stop` stops it.

    Start with `cinesync demo`, or `cinesync import movielens DIR`.
    """
    from personalization.logging_setup import configure_logging
    from personalization.storage.db import install_sigterm_handler
    from personalization.threads import configure_threads

    configure_threads()
    configure_logging(logging.INFO if verbose else logging.WARNING)  # CINESYNC_LOG_FORMAT=json for JSON lines
    install_sigterm_handler()


main.add_command(replay_command)
main.add_command(tune_command)
main.add_command(bench_command)
main.add_command(export_command)
main.add_command(serve_command)
main.add_command(settings_command)
main.add_command(train_command)
main.add_command(ab_command)  # A/B tests (docs/experiments.md)
main.add_command(export_user_command)
main.add_command(group_command)
main.add_command(unrate_command)
main.add_command(explain_command)  # why a film would be picked (issue 14)
main.add_command(onboard_command)  # a new member's first cards (docs/onboarding.md)


# -- db ----------------------------------------------------------------------------------------
main.add_command(db)
main.add_command(import_)
import_.add_command(import_parquet)


@main.command()
@click.argument("user", type=int)
@click.argument("film", type=int)
@click.argument("stars", type=float)
@pass_ctx
def rate(ctx: Context, user: int, film: int, stars: float) -> None:
    """Rate FILM with STARS (0.5 to 5 in half steps) as USER."""
    with ctx.service() as svc:
        r = svc.rate(user, film, stars)
        title = svc.film(film).label
    verb = "re-rated" if r.replaced else "rated"
    needed = "" if r.personalised else f"; {svc.model_settings.min_ratings} needed for personal picks"
    click.echo(f"user {r.user_id} {verb} {title}: {plural_stars(r.stars)} ({plural(r.n_ratings, 'rating')}{needed})")


def plural_stars(stars: float) -> str:
    return f"{stars:g} {'star' if stars == 1 else 'stars'}"


@main.command()
@click.argument("user", type=int)
@click.argument("film", type=int)
@click.argument("kind", type=click.Choice(["love", "like", "dislike", "hate", "not_interested"]))
@pass_ctx
def feedback(ctx: Context, user: int, film: int, kind: str) -> None:
    """Record feedback KIND on FILM as USER (not_interested also hides the film)."""
    with ctx.service() as svc:
        r = svc.feedback(user, film, kind, context={"source": "cli"})
        title = svc.film(film).label
    click.echo(f"user {r.user_id}: {kind} on {title}")


@main.command()
@click.argument("user", type=int)
@click.option(
    "-k", "count", default=10, show_default=True, type=click.IntRange(1, 100), help="How many films (1 to 100)."
)
@click.option("--genre", help="Only films of this genre.")
@click.option("--decade", type=int, help="Only films of this decade, e.g. 1990.")
@mood_option("Only films in this mood (genres and keywords: docs/moods.md), still in USER's own order.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def recommend(
    ctx: Context, user: int, count: int, genre: str | None, decade: int | None, mood: str | None, as_json: bool
) -> None:
    """Show USER's top films and how each score was made."""
    with ctx.service() as svc:
        recs = svc.recommend(user, count, genre=genre, decade=decade, mood=mood)
    if as_json:
        echo_json(recs.to_dict())
        return
    if mood:
        click.echo(f"in the mood: {mood} (docs/moods.md), in user {user}'s own order")
    click.echo(format_recommendations(recs))


def format_recommendations(recs: Any) -> str:
    if recs.mode == "personal":
        head = (
            f"user {recs.user_id}: personal picks ({plural(recs.n_ratings, 'film')} rated or reacted "
            f"to; score = {recs.blend_weight:.2f} x personal + {1 - recs.blend_weight:.2f} x base)"
        )
    else:
        head = (
            f"user {recs.user_id}: {recs.n_ratings} of {plural(recs.min_ratings, 'film')} rated or "
            "reacted to needed for personal picks; showing the base model's order"
        )
    lines = [head]
    if getattr(recs, "model_version", None) is None:
        lines.append("  (no trained models yet: content and popularity only; `cinesync train` fits them)")
    lines.append(f"{'#':>3}  {'score':>5}  {'pers':>5}  {'base':>5}  film")
    for i, r in enumerate(recs.items, 1):
        lines.append(
            f"{i:>3}  {r.score:5.3f}  {r.personal:5.3f}  {r.base:5.3f}  "
            f"{_short(r.film.label, 60)}  [{', '.join(r.film.genres)}]  {r.reason}"
        )
    if not recs.items and recs.filters:
        asked = ", ".join(f"{name} {value}" for name, value in recs.filters.items())
        lines.append(f"  (no film you have not rated matches {asked}: try fewer filters, or another)")
    elif not recs.items and recs.n_ratings:
        lines.append("  (no films left: every film in the catalogue is rated or reacted to)")
    elif not recs.items:
        lines.append("  (no films to recommend: import a catalogue first)")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@click.argument("user", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def profile(ctx: Context, user: int, as_json: bool) -> None:
    """Show USER's taste profile: favourite genres, directors, actors, decades, style, diversity."""
    with ctx.service() as svc:
        p = svc.profile(user)
        signals = _n_signals(svc, user)
        min_ratings = svc.model_settings.min_ratings
    if as_json:
        echo_json(p.to_dict())
        return
    click.echo(format_profile(p, n_signals=signals, min_ratings=min_ratings))


def _n_signals(svc: Any, user: int) -> int:
    """Films the user rated or reacted to: what the threshold for personal picks counts."""
    rated, seen = svc.history(user)
    return len(set(rated) | set(seen))


def format_profile(p: Any, *, n_signals: int | None = None, min_ratings: int | None = None) -> str:
    """One line of figures, then the top features. Below the threshold for personal picks the
    picks use no personal weight, so the line says how many films are still needed instead of
    the learned weight that is not in use yet."""
    mean = f"{p.mean_rating:.2f}" if p.mean_rating is not None else "-"
    if min_ratings is not None and n_signals is not None and n_signals < min_ratings:
        weight = f"personal weight 0 until {plural(min_ratings, 'film')} rated or reacted to ({n_signals} so far)"
    elif p.blend_weight is None:
        weight = "personal weight -"
    else:
        weight = f"personal weight {p.blend_weight:.2f}"
    lines = [
        f"user {p.user_id}: {plural(p.n_ratings, 'rating')}, mean {mean} "
        f"(community {p.community_mean:.2f}), style {p.style}, diversity {p.diversity:.2f}, {weight}"
    ]
    for name in ("genres", "directors", "actors", "decades"):
        feats = getattr(p, name)[:5]
        shown = ", ".join(f"{f.name} ({f.mean:.1f}★ x{f.n}, +{f.significance:.2f})" for f in feats)
        lines.append(f"  {name:<9} {shown or '-'}")
    dist = " ".join(f"{k}:{v}" for k, v in p.distribution.items() if v)
    lines.append(f"  ratings   {dist or '-'}")
    from personalization.core.drift import summary as drift_summary

    lines.append(f"  drift     {drift_summary(getattr(p, 'drift', None))}")
    return "\n".join(lines)


@main.command()
@click.argument("user", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def forget(ctx: Context, user: int, yes: bool) -> None:
    """Delete everything stored about USER (ratings, feedback, embedding, profile, weights, A/B
    exposures): `cinesync export-user USER` shows what that is."""
    if not yes:
        click.confirm(f"Delete everything stored about user {user}?", abort=True)
    with ctx.service() as svc:
        n = svc.forget(user)
    click.echo(f"user {user}: {plural(n, 'row')} deleted" if n else f"user {user}: nothing was stored")


DEMO_KEY = "demo"  # engine setting: which demo data this database holds


@main.command()
@click.option("--users", default=300, show_default=True, type=click.IntRange(min=1), help="Synthetic users.")
@click.option(
    "--films",
    default=2000,
    show_default=True,
    type=click.IntRange(min=10),
    help="Synthetic films (at least 10: a top 10 to show).",
)
@click.option(
    "--seed", default=7, show_default=True, type=click.IntRange(min=0), help="Generator seed (same seed, same data)."
)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Load this MovieLens folder instead of synthetic data.",
)
@click.option("--force", is_flag=True, help="Load the demo data into a database that already holds other data.")
@pass_ctx
def demo(ctx: Context, users: int, films: int, seed: int, source: Path | None, force: bool) -> None:
    """Prepare the database with demo data, train the collaborative models on it (what `cinesync
    train` does) and show what the engine learned about one user. It refuses a database that
    holds other data (its film ids would be overwritten) unless --force; running the same demo
    again is fine."""
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens
    from personalization.storage.models import ModelStore
    from personalization.training import train

    marker = {"users": users, "films": films, "seed": seed, "from": str(source.resolve()) if source else None}
    data = read_movielens(source) if source is not None else None  # a folder that is not MovieLens says so first
    with ctx.service() as svc:
        held = svc.status()
        if (held.films or held.ratings) and svc.engine_setting(DEMO_KEY) != marker and not force:
            raise CineSyncError(
                f"the database already holds {plural(held.films, 'film')} and {plural(held.ratings, 'rating')} "
                "that are not this demo's; the demo would overwrite films with the same ids. Use another "
                "CINESYNC_HOME (or CINESYNC_DATABASE_URL), or pass --force"
            )
    if data is None:
        source = write_movielens(generate(n_users=users, n_films=films, seed=seed), ctx.settings.home / "demo-data")
        click.echo(f"synthetic demo data written to {source}")
        data = read_movielens(source)
    with ctx.service() as svc:
        svc.set_engine_setting(DEMO_KEY, marker)  # what this database holds: a re-run is no surprise
        svc.import_films(data.films)
        applied = apply_ratings(svc, data.ratings, films=len(data.films)).applied
        status = svc.status()
        click.echo(
            f"{plural(status.films, 'film')}, {plural(status.users, 'user')}, "
            f"{plural(status.ratings, 'rating')} ({applied} new); "
            f"{plural(status.personalised_users, 'user')} with personal picks"
        )
        # the member with the most ratings: the one whose picks show what the engine learned
        counts = Counter(int(e[0]) for e in data.ratings)
        user = min(counts, key=lambda u: (-counts[u], u)) if counts else 1
        if data.ratings:
            published = train(ModelStore(svc.db.pool), svc.model_settings, origin="cinesync-demo")
            svc.engine.reload_models()  # this process does not listen: load the new version now
            click.echo(published.summary())
            click.echo()
            click.echo(
                format_profile(
                    svc.profile(user), n_signals=_n_signals(svc, user), min_ratings=svc.model_settings.min_ratings
                )
            )
            click.echo()
            click.echo(format_recommendations(svc.recommend(user, 10)))
