"""``cinesync``: a thin command line over the service (parse options, call a verb, print).

The core's commands are registered here; front-ends add theirs (``cinesync bot``, ``cinesync
dashboard``) through the ``cinesync.cli`` entry-point group, loaded when the command line is
used, so importing this module never imports them. Every command imports its heavy modules
inside its body: ``cinesync --help`` loads neither numpy nor psycopg.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from personalization.cli.analytics import export_command
from personalization.cli.evaluation import replay_command, tune_command
from personalization.cli.serve import serve_command
from personalization.config import Settings
from personalization.errors import CineSyncError
from personalization.evaluation.bench import bench_command

log = logging.getLogger("cinesync")
PLUGIN_GROUP = "cinesync.cli"


class Context:
    """Settings built once from the environment; the service opened on first use."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    @contextmanager
    def service(self, **kwargs: Any) -> Iterator[Any]:
        from personalization.service import Service

        svc = Service.open(self.settings, listen=False, **kwargs)
        try:
            yield svc
        finally:
            svc.close()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 rating``, ``2 ratings``, ``0 ratings``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
        except Exception as exc:
            import psycopg  # here, not at the top: `cinesync --help` stays light

            if not isinstance(exc, psycopg.Error):
                raise
            # The server went away (`db stop`, a restart) or refused a statement: one line, not
            # a traceback. Each verb is one transaction, so nothing is half-written.
            click.echo(f"error: the database failed: {_first_line(exc)}", err=True)
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
    reason = f"{type(exc).__name__}: {_first_line(exc)}"

    def fail(**_: Any) -> None:
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
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
def main(verbose: bool) -> None:
    """CineSync Personalization: learn each person's movie taste from their ratings, online.

    Data lives in PostgreSQL: by default an embedded server under $CINESYNC_HOME (default
    ./.cinesync); set CINESYNC_DATABASE_URL to use any other PostgreSQL 14+.

    The embedded server keeps running after a command ends (the dashboard, a bot or a `psql` on
    `cinesync db url` may use it); `cinesync db stop` stops it.

    Start with `cinesync demo`, or `cinesync import movielens DIR`.
    """
    from personalization.storage.db import install_sigterm_handler
    from personalization.threads import configure_threads

    configure_threads()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_sigterm_handler()


main.add_command(replay_command)
main.add_command(tune_command)
main.add_command(bench_command)
main.add_command(export_command)
main.add_command(serve_command)


# -- db ----------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Manage the database: migrations, status, connection URL, the embedded server."""


@db.command("migrate")
@pass_ctx
def db_migrate(ctx: Context) -> None:
    """Apply pending sql/V*.sql migrations (safe to run twice, or twice at once)."""
    from personalization.storage import migrate, open_database

    with open_database(ctx.settings) as database:
        applied = migrate(database.pool)
    if applied:
        for m in applied:
            click.echo(f"applied V{m.version:03d} {m.name}")
    else:
        click.echo("database is up to date")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def db_status(ctx: Context, as_json: bool) -> None:
    """Show migrations, row counts and model versions."""
    from dataclasses import asdict

    from personalization.storage import migration_status

    with ctx.service() as svc:
        migrations = migration_status(svc.db.pool)
        status = svc.status()
    if as_json:
        _echo_json(
            {
                "migrations": [{"version": m.version, "name": m.name, "applied": ok} for m, ok in migrations],
                **asdict(status),
            }
        )
        return
    click.echo(f"database   {status.database}")
    for m, ok in migrations:
        click.echo(f"  V{m.version:03d} {m.name:<30} {'applied' if ok else 'PENDING'}")
    click.echo(
        f"films {status.films}  users {status.users}  ratings {status.ratings}  "
        f"feedback {status.feedback}  personalised users {status.personalised_users}"
    )
    click.echo(f"model versions stored {status.model_versions or '-'}; current {status.current_model_version}")


@db.command("url")
@pass_ctx
def db_url(ctx: Context) -> None:
    """Print the database URL (starts the embedded server if it is the one in use; it keeps
    running until `cinesync db stop`)."""
    from personalization.storage.db import embedded_url, redact

    url = ctx.settings.database_url or embedded_url(ctx.settings.home)
    click.echo(redact(url))


@db.command("stop")
@pass_ctx
def db_stop(ctx: Context) -> None:
    """Stop the embedded PostgreSQL. It keeps running after other commands end (the dashboard,
    a bot or a psql session may use it): this is the way to stop it. Connected clients (counted
    first, and named in a warning) lose their connection."""
    from personalization.storage.db import embedded_clients, stop_embedded

    if ctx.settings.database_url:
        click.echo("CINESYNC_DATABASE_URL is set: that server is not ours to stop")
        return
    clients = embedded_clients(ctx.settings.home)
    if clients:
        names = ", ".join(sorted(set(clients)))
        click.echo(f"warning: {plural(len(clients), 'client')} connected ({names}) will be disconnected", err=True)
    click.echo("stopped" if stop_embedded(ctx.settings.home) else "not running")


# -- import ------------------------------------------------------------------------------------
@main.group("import")
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
        result = _apply_ratings(svc, data.ratings, films=n_films)
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
        result = _apply_ratings(svc, events)
    click.echo(f"{plural(len(events), 'rating')} read, {result.summary()}")


def _apply_ratings(svc: Any, events: list[Any], *, films: int | None = None) -> Any:
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
                f"the database failed during the import ({_first_line(exc)}): {films_part}"
                f"{stored} of {plural(len(events), 'rating')} were stored; run the same command "
                "again to complete it (what is stored already is skipped)"
            ) from exc


# -- verbs ---------------------------------------------------------------------------------------
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def recommend(ctx: Context, user: int, count: int, genre: str | None, decade: int | None, as_json: bool) -> None:
    """Show USER's top films and how each score was made."""
    with ctx.service() as svc:
        recs = svc.recommend(user, count, genre=genre, decade=decade)
    if as_json:
        _echo_json(recs.to_dict())
        return
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
    lines = [head, f"{'#':>3}  {'score':>5}  {'pers':>5}  {'base':>5}  film"]
    for i, r in enumerate(recs.items, 1):
        lines.append(
            f"{i:>3}  {r.score:5.3f}  {r.personal:5.3f}  {r.base:5.3f}  "
            f"{_short(r.film.label, 60)}  [{', '.join(r.film.genres)}]  {r.reason}"
        )
    if not recs.items:
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
        _echo_json(p.to_dict())
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
    return "\n".join(lines)


@main.command()
@click.argument("user", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def forget(ctx: Context, user: int, yes: bool) -> None:
    """Delete everything stored about USER (ratings, feedback, embedding, profile, weights)."""
    if not yes:
        click.confirm(f"Delete everything stored about user {user}?", abort=True)
    with ctx.service() as svc:
        n = svc.forget(user)
    click.echo(f"user {user}: {plural(n, 'row')} deleted")


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
@pass_ctx
def demo(ctx: Context, users: int, films: int, seed: int, source: Path | None) -> None:
    """Prepare the database with demo data and show what the engine learned about one user."""
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens

    if source is None:
        source = write_movielens(generate(n_users=users, n_films=films, seed=seed), ctx.settings.home / "demo-data")
        click.echo(f"synthetic demo data written to {source}")
    data = read_movielens(source)
    with ctx.service() as svc:
        svc.import_films(data.films)
        applied = _apply_ratings(svc, data.ratings, films=len(data.films)).applied
        status = svc.status()
        click.echo(
            f"{plural(status.films, 'film')}, {plural(status.users, 'user')}, "
            f"{plural(status.ratings, 'rating')} ({applied} new); "
            f"{plural(status.personalised_users, 'user')} with personal picks"
        )
        user = int(data.ratings[0][0]) if data.ratings else 1
        if data.ratings:
            click.echo()
            click.echo(
                format_profile(
                    svc.profile(user), n_signals=_n_signals(svc, user), min_ratings=svc.model_settings.min_ratings
                )
            )
            click.echo()
            click.echo(format_recommendations(svc.recommend(user, 10)))
