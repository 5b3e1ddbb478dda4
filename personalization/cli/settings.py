"""``cinesync settings``: the engine-wide model settings, versioned in the database.

Every change is a new version (when, from where, by whom, what changed; a save that changes
nothing stores none); ``rollback N`` installs
version N's values again as a new version. Every process using the database follows at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from personalization.cli.context import Context, echo_json, pass_ctx

__all__ = ["settings_command", "format_changes"]


def _value(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def format_changes(changes: dict[str, Any]) -> str:
    """``blend_weight 0.2 -> 0.3, dim 256 -> 128`` (or "no change")."""
    if not changes:
        return "no change"
    return ", ".join(f"{name} {_value(old)} -> {_value(new)}" for name, (old, new) in changes.items())


def _newest_version(svc: Any) -> int | None:
    newest = svc.settings_history(1)
    return newest[0].version if newest else None


def _saved(svc: Any, before: int | None) -> None:
    """Say which version was saved, or that nothing changed (no version is stored then)."""
    newest = svc.settings_history(1)[0]
    if newest.version == before:
        click.echo(f"no change: version {newest.version} stays in force (nothing saved)")
    else:
        click.echo(f"saved as version {newest.version}: {format_changes(newest.changes)}")


@click.group("settings")
def settings_command() -> None:
    """Show, change, install and roll back the engine's model settings (learning rates, blend
    and base-model weights). Each change is a new version in the database: see `history`."""


@settings_command.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a file `settings apply` reads back).")
@pass_ctx
def settings_show(ctx: Context, as_json: bool) -> None:
    """Show the settings in force and the version they come from."""
    from personalization.config import ModelSettings

    with ctx.service() as svc:
        model = svc.model_settings
        newest = svc.settings_history(1)
    version = newest[0].version if newest else None
    values = model.to_dict()
    if as_json:
        echo_json({"version": version, "settings": values})
        return
    click.echo(f"version {version}" if version else "version -: nothing saved yet, the configured defaults")
    defaults = ModelSettings().to_dict()
    for name, value in values.items():
        mark = "" if value == defaults.get(name) else f"   (default {_value(defaults.get(name))})"
        click.echo(f"  {name:<24} {_value(value)}{mark}")


@settings_command.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@pass_ctx
def settings_set(ctx: Context, assignments: tuple[str, ...]) -> None:
    """Change settings, e.g. `cinesync settings set blend_weight=0.3 weight_ease=0.2`."""
    from personalization.service.settings import parse_assignments

    changes = parse_assignments(assignments)
    with ctx.service() as svc:
        before = _newest_version(svc)
        svc.save_model_settings(source="cli: settings set", **changes)
        _saved(svc, before)


@settings_command.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def settings_apply(ctx: Context, file: Path) -> None:
    """Install the settings in FILE: the tuned_settings.json `cinesync tune` writes, or the
    output of `settings show --json`."""
    from personalization.service.settings import read_settings_file

    values = read_settings_file(file)
    with ctx.service() as svc:
        before = _newest_version(svc)
        svc.save_model_settings(source=f"cli: settings apply {file.name}", **values)
        _saved(svc, before)


@settings_command.command("history")
@click.option("-n", "limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="How many versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def settings_history(ctx: Context, limit: int, as_json: bool) -> None:
    """List the stored versions, newest first: when, from where, who, what changed."""
    with ctx.service() as svc:
        versions = svc.settings_history(limit)
    if as_json:
        echo_json(
            [
                {
                    "version": v.version,
                    "created_at": v.created_at.isoformat(),
                    "source": v.source,
                    "author": v.author,
                    "changes": v.changes,
                    "settings": v.value,
                }
                for v in versions
            ]
        )
        return
    if not versions:
        click.echo("no saved settings yet: the configured defaults are in force")
        return
    for v in versions:
        when = v.created_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        who = f" by {v.author}" if v.author else ""
        click.echo(f"{v.version:>4}  {when}  {v.source}{who}")
        click.echo(f"      {format_changes(v.changes)}")


@settings_command.command("rollback")
@click.argument("version", type=click.IntRange(min=1))
@pass_ctx
def settings_rollback(ctx: Context, version: int) -> None:
    """Install VERSION's settings again (recorded as a new version, so it can be undone too)."""
    with ctx.service() as svc:
        before = _newest_version(svc)
        done = svc.rollback_model_settings(version, source="cli: settings rollback")
    if done.version == before:
        click.echo(f"version {version}'s values are already in force (version {done.version}): nothing saved")
    else:
        click.echo(f"version {version} installed as version {done.version}: {format_changes(done.changes)}")
