"""``cinesync db``: migrations, status, the connection URL, the embedded server, dump and restore."""

from __future__ import annotations

from pathlib import Path

import click

from personalization.cli.context import Context, echo_json, output_path, pass_ctx, plural, writing

__all__ = ["db"]


@click.group()
def db() -> None:
    """Manage the database: migrations, status, connection URL, the embedded server, backups."""


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
    """Show migrations (applied or PENDING: this command applies none), row counts and model
    versions. `cinesync db migrate` applies what is pending."""
    from dataclasses import asdict

    import psycopg

    from personalization.storage import migration_status, open_database

    with open_database(ctx.settings) as database:
        migrations = migration_status(database.pool)
    pending = [m for m, ok in migrations if not ok]
    status = None
    try:
        with ctx.service(run_migrations=False) as svc:
            status = svc.status()
    except psycopg.errors.ProgrammingError:  # a table or column a pending migration adds
        if not pending:
            raise
    listed = [{"version": m.version, "name": m.name, "applied": ok} for m, ok in migrations]
    if as_json:
        echo_json({"migrations": listed, "pending": [m.version for m in pending], **(asdict(status) if status else {})})
        return
    if status is not None:
        click.echo(f"database   {status.database}")
    for m, ok in migrations:
        click.echo(f"  V{m.version:03d} {m.name:<30} {'applied' if ok else 'PENDING'}")
    if pending:
        click.echo(f"{plural(len(pending), 'migration')} pending: `cinesync db migrate` applies them")
    if status is None:
        click.echo("(row counts and models once the pending migrations are applied)")
        return
    click.echo(
        f"films {status.films}  users {status.users}  ratings {status.ratings}  "
        f"feedback {status.feedback}  personalised users {status.personalised_users}"
    )
    click.echo(f"model versions stored {status.model_versions or '-'}; current {status.current_model_version}")
    click.echo(format_published(status.models_published, status.models_served))


def format_published(published: list[dict], served: int | None) -> str:
    """The collaborative models' versions (``cinesync train``), newest first."""
    if not published:
        return "collaborative models: none published yet, serving content and popularity only (run `cinesync train`)"
    lines = ["collaborative models published (newest first):"]
    for v in published:
        mark = "  <- served here" if v["id"] == served else ""
        lines.append(
            f"  version {v['id']}  {v['created_at'][:19]}  {v['n_ratings']:,} ratings  "
            f"{'+'.join(v['models'])}  {v['bytes'] / 2**20:.1f} MiB  ({v['engine']}){mark}"
        )
    lines.append("  serving processes load the newest at start and when one is published")
    return "\n".join(lines)


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


# -- backups -----------------------------------------------------------------------------------
def _url(ctx: Context) -> str:
    from personalization.storage.db import embedded_url

    return ctx.settings.database_url or embedded_url(ctx.settings.home)


@db.command("dump")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace FILE without asking if it exists.")
@pass_ctx
def db_dump(ctx: Context, file: Path, yes: bool) -> None:
    """Back the whole database up into FILE (pg_dump's custom format, compressed), while every
    other process keeps working. `cinesync db restore FILE` puts it back.

    pg_dump is pgserver's (PostgreSQL 16), for a database given by URL too; CINESYNC_PG_BIN
    names another PostgreSQL bin folder (a newer server needs its own pg_dump)."""
    from personalization.storage.db import redact
    from personalization.storage.ops import dump

    output_path(file)
    url = _url(ctx)
    if file.exists() and not yes:
        click.confirm(f"{file} exists (an older backup?); replace it?", abort=True)
    with writing(file):
        dump(url, file)
    click.echo(f"{redact(url)} dumped to {file} ({file.stat().st_size / 2**20:.1f} MiB)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def db_restore(ctx: Context, file: Path, yes: bool) -> None:
    """Replace everything in the database with FILE (written by `cinesync db dump`), in one
    transaction: on any error nothing changes. Then apply newer migrations; processes using the
    database drop their caches."""
    from personalization.service.invalidation import Invalidation
    from personalization.storage import migrate, open_database
    from personalization.storage.db import redact
    from personalization.storage.ops import check_dump, notify, restore

    url = _url(ctx)
    check_dump(file)  # not a backup: say so before asking
    if not yes:
        click.confirm(f"Replace everything in {redact(url)} with {file}?", abort=True)
    restore(url, file)
    with open_database(ctx.settings, url=url) as database:
        applied = migrate(database.pool)
    notify(url, Invalidation("reset").format())
    newer = f"; then applied {plural(len(applied), 'newer migration')}" if applied else ""
    click.echo(f"{redact(url)} restored from {file}{newer}")
