"""``cinesync db``: migrations, status, the connection URL and the embedded server."""

from __future__ import annotations

import click

from personalization.cli.context import Context, echo_json, pass_ctx, plural

__all__ = ["db"]


@click.group()
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
        echo_json(
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
