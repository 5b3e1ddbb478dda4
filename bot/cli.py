"""``cinesync bot``: start the Discord bot, print its commands, or sync them to one server.

Loaded by every ``cinesync`` invocation (entry point ``cinesync.cli``), so this module imports
only click: discord.py and the service are imported inside the command.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

__all__ = ["bot_command", "read_token", "NO_TOKEN"]

NO_TOKEN = (
    "no Discord token: set DISCORD_TOKEN in the environment or in a .env file "
    "(DISCORD_TOKEN=...), see docs/bot.md for how to create the bot in Discord's "
    "developer portal"
)


class Refused(click.ClickException):
    """One line on stderr and exit code 2, as `cinesync` prints the engine's own errors."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Unreachable(Refused):
    """Discord could not be reached: not the user's mistake (exit code 1)."""

    exit_code = 1


def read_token(env_file: Path | None) -> str | None:
    """DISCORD_TOKEN from the environment, else from ``env_file`` (a .env file), else None.
    The .env file also fills any other unset variable (e.g. CINESYNC_DATABASE_URL)."""
    if env_file is not None and env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)
    token = (os.environ.get("DISCORD_TOKEN") or "").strip()
    return token or None


def _shards(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = value.strip().lower()
    if value in ("off", "auto") or (value.isdigit() and int(value) >= 1):
        return value
    raise click.BadParameter("use off, auto or a number of shards (1 or more)")


def _no_voice_warning(record: logging.LogRecord) -> bool:
    """discord.py warns at start-up that voice libraries are missing: this bot has no voice."""
    return "voice will NOT be supported" not in record.getMessage()


@click.command("bot")
@click.option(
    "--print-commands",
    is_flag=True,
    help="Print the application commands as JSON, exactly as registered, and exit (no network, no database).",
)
@click.option(
    "--sync-guild",
    type=int,
    metavar="ID",
    help="Register the commands to this one server (they appear at once) instead of globally (up to an hour).",
)
@click.option("--no-sync", is_flag=True, help="Do not register commands at start-up (they were registered before).")
@click.option(
    "--shards",
    default="off",
    show_default=True,
    callback=_shards,
    metavar="off|auto|N",
    help="off: one connection; auto: as many shards as Discord recommends; N: N shards.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".env"),
    show_default=True,
    help="Where to read DISCORD_TOKEN when it is not in the environment.",
)
def bot_command(print_commands: bool, sync_guild: int | None, no_sync: bool, shards: str, env_file: Path) -> None:
    """Run the CineSync Discord bot (slash commands /rate, /my_recommendations, /my_stats,
    /forget_me, /cinesync_status). Needs DISCORD_TOKEN; see docs/bot.md."""
    import asyncio

    from personalization.threads import configure_threads

    configure_threads()  # also run by `cinesync`; here for a direct call of this command
    logging.getLogger("discord.client").addFilter(_no_voice_warning)
    if print_commands:
        import json

        from .app import command_payload

        click.echo(json.dumps(asyncio.run(command_payload()), indent=2, ensure_ascii=False))
        return

    source = click.get_current_context().get_parameter_source("env_file")
    if source is not click.core.ParameterSource.DEFAULT and not env_file.is_file():
        raise Refused(f"--env-file {env_file}: no such file")
    token = read_token(env_file)
    if token is None:
        raise Refused(NO_TOKEN)

    import aiohttp
    import discord

    from personalization.config import Settings
    from personalization.service import AsyncService, Service

    from .app import build_bot

    for name in ("cinesync.bot", "discord"):  # connection and sync news, through cinesync's handler
        logging.getLogger(name).setLevel(logging.INFO)
    from personalization.observability import start_from_env

    service = Service.open(Settings.from_env())
    service.warm_up()  # fit the models while the bot logs in, not in the first person's request
    start_from_env()  # /metrics and /healthz when CINESYNC_METRICS_PORT is set
    try:
        bot = build_bot(AsyncService(service), shards=shards, sync_guild=sync_guild, sync=not no_sync)

        async def run() -> None:
            async with bot:
                await bot.start(token)

        try:
            asyncio.run(run())
        except discord.LoginFailure:
            raise Refused(
                "Discord rejected DISCORD_TOKEN: copy the bot token again from the developer portal (Bot > Reset Token)"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise Refused(
                "Discord refused the intents; this bot needs none of the privileged ones, so check the application id"
            ) from None
        except (OSError, aiohttp.ClientError) as exc:  # offline, DNS, proxy, TLS
            raise Unreachable(f"could not reach Discord: {exc}") from None
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
    finally:
        service.close()
