"""``cinesync``: a thin command line over the service (parse options, call a verb, print).

Front-ends add their own sub-commands (``cinesync bot``, ``cinesync dashboard``) through the
``cinesync.cli`` entry-point group, so this module never imports them.
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

import click

from personalization.config import Settings
from personalization.errors import CineSyncError

log = logging.getLogger("cinesync")


class Context:
    """Settings built once from the environment; the service opened on first use."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    @contextmanager
    def service(self, **kwargs):
        from personalization.service import Service
        svc = Service.open(self.settings, listen=False, **kwargs)
        try:
            yield svc
        finally:
            svc.close()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class CineSyncGroup(click.Group):
    """Turns the engine's errors into one clear line and exit code 2 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CineSyncError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=CineSyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
def main(verbose: bool) -> None:
    """CineSync Personalization: learn each person's movie taste from their ratings, online.

    Data lives in PostgreSQL: by default an embedded server under $CINESYNC_HOME (default
    ./.cinesync); set CINESYNC_DATABASE_URL to use any other PostgreSQL 14+.

    Start with `cinesync demo`, or `cinesync import movielens DIR`.
    """
    from personalization.storage.db import install_sigterm_handler
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_sigterm_handler()


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
        _echo_json({"migrations": [{"version": m.version, "name": m.name, "applied": ok}
                                   for m, ok in migrations], **asdict(status)})
        return
    click.echo(f"database   {status.database}")
    for m, ok in migrations:
        click.echo(f"  V{m.version:03d} {m.name:<30} {'applied' if ok else 'PENDING'}")
    click.echo(f"films {status.films}  users {status.users}  ratings {status.ratings}  "
               f"feedback {status.feedback}  personalised users {status.personalised_users}")
    click.echo(f"model versions stored {status.model_versions or '-'}; current {status.current_model_version}")


@db.command("url")
@pass_ctx
def db_url(ctx: Context) -> None:
    """Print the database URL (starts the embedded server if it is the one in use)."""
    from personalization.storage.db import embedded_url, redact
    url = ctx.settings.database_url or embedded_url(ctx.settings.home, cleanup_mode=None)
    click.echo(redact(url))


@db.command("stop")
@pass_ctx
def db_stop(ctx: Context) -> None:
    """Stop the embedded PostgreSQL (e.g. after a process was killed)."""
    from personalization.storage.db import stop_embedded
    if ctx.settings.database_url:
        click.echo("CINESYNC_DATABASE_URL is set: that server is not ours to stop")
        return
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
        result = _apply_ratings(svc, data.ratings)
    click.echo(f"{data.layout}: {n_films} films, {len(data.ratings)} ratings read, {result.summary()}")


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
            raise CineSyncError(f"{file}: {len(unknown)} unknown film id(s), e.g. {unknown[:5]}; "
                                "import the catalogue first")
        result = _apply_ratings(svc, events)
    click.echo(f"{len(events)} ratings read, {result.summary()}")


def _apply_ratings(svc, events):
    from tqdm import tqdm
    with tqdm(total=len(events), unit="rating", desc="ratings", disable=None) as bar:
        return svc.rate_many(events, progress=bar.update)


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
    click.echo(f"user {r.user_id} {verb} {title}: {r.stars:g} stars ({r.n_ratings} ratings"
               f"{'' if r.personalised else f'; {svc.model_settings.min_ratings} needed for personal picks'})")


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
@click.option("-k", "count", default=10, show_default=True, help="How many films.")
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


def format_recommendations(recs) -> str:
    if recs.mode == "personal":
        head = (f"user {recs.user_id}: personal picks ({recs.n_ratings} films rated or reacted to; "
                f"score = {recs.blend_weight:.2f} x personal + {1 - recs.blend_weight:.2f} x base)")
    else:
        head = (f"user {recs.user_id}: {recs.n_ratings} of {recs.min_ratings} films rated or reacted to "
                "needed for personal picks; showing the base model's order")
    lines = [head, f"{'#':>3}  {'score':>5}  {'pers':>5}  {'base':>5}  film"]
    for i, r in enumerate(recs.items, 1):
        lines.append(f"{i:>3}  {r.score:5.3f}  {r.personal:5.3f}  {r.base:5.3f}  "
                     f"{_short(r.film.label, 60)}  [{', '.join(r.film.genres)}]  {r.reason}")
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
    if as_json:
        _echo_json(p.to_dict())
        return
    click.echo(format_profile(p))


def format_profile(p) -> str:
    mean = f"{p.mean_rating:.2f}" if p.mean_rating is not None else "-"
    lines = [f"user {p.user_id}: {p.n_ratings} ratings, mean {mean} (community {p.community_mean:.2f}), "
             f"style {p.style}, diversity {p.diversity:.2f}, personal weight {p.blend_weight:.2f}"]
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
    click.echo(f"user {user}: {n} rows deleted")


@main.command()
@click.option("--users", default=300, show_default=True, help="Synthetic users.")
@click.option("--films", default=2000, show_default=True, help="Synthetic films.")
@click.option("--seed", default=7, show_default=True, help="Generator seed (same seed, same data).")
@click.option("--from", "source", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Load this MovieLens folder instead of synthetic data.")
@pass_ctx
def demo(ctx: Context, users: int, films: int, seed: int, source: Path | None) -> None:
    """Prepare the database with demo data and show what the engine learned about one user."""
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens
    if source is None:
        source = write_movielens(generate(n_users=users, n_films=films, seed=seed),
                                 ctx.settings.home / "demo-data")
        click.echo(f"synthetic demo data written to {source}")
    data = read_movielens(source)
    with ctx.service() as svc:
        svc.import_films(data.films)
        applied = _apply_ratings(svc, data.ratings).applied
        status = svc.status()
        click.echo(f"{status.films} films, {status.users} users, {status.ratings} ratings "
                   f"({applied} new); {status.personalised_users} users have personal picks")
        user = int(data.ratings[0][0]) if data.ratings else 1
        if data.ratings:
            click.echo()
            click.echo(format_profile(svc.profile(user)))
            click.echo()
            click.echo(format_recommendations(svc.recommend(user, 10)))


def _load_plugins() -> None:
    """Sub-commands contributed by front-ends (bot, dashboards) through entry points."""
    for ep in entry_points(group="cinesync.cli"):
        try:
            command = ep.load()
        except Exception as exc:  # a broken front-end must not break the core CLI
            log.debug("cinesync.cli plugin %s failed to load: %s", ep.name, exc)
            continue
        if isinstance(command, click.Command):
            main.add_command(command, ep.name)


_load_plugins()
