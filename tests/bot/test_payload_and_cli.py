"""The application-command payload against Discord's documented limits, and ``cinesync bot``'s
entry point (print the commands, refuse to start without a token) — no network, no database."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot import limits
from bot.app import build_bot, command_payload
from bot.cli import NO_TOKEN, bot_command

NAME = re.compile(r"^[-_\w]{1,32}$")  # Discord: lowercase letters, digits, - and _ (ASCII subset)
OPTION_TYPES = {3: str, 4: int, 6: object, 10: float, 11: object}  # 6: a member, 11: an attachment (no choices)


@pytest.fixture(scope="module")
def payload() -> list[dict]:
    return asyncio.run(command_payload())


def check_option(option: dict) -> None:
    assert NAME.match(option["name"]) and option["name"] == option["name"].lower()
    assert 1 <= len(option["description"]) <= limits.OPTION_DESCRIPTION
    assert option["type"] in OPTION_TYPES
    choices = option.get("choices", [])
    assert len(choices) <= limits.CHOICES
    assert not (choices and option.get("autocomplete")), "choices and autocomplete exclude each other"
    for choice in choices:
        assert 1 <= len(choice["name"]) <= limits.CHOICE_NAME
        assert isinstance(choice["value"], OPTION_TYPES[option["type"]])
        if isinstance(choice["value"], str):
            assert len(choice["value"]) <= limits.CHOICE_VALUE
    if "min_value" in option:
        assert option["min_value"] <= option["max_value"]


def test_payload_within_discord_limits(payload):
    names = [c["name"] for c in payload]
    assert sorted(names) == [
        "cinesync_status",
        "forget_me",
        "import_history",
        "my_data",
        "my_recommendations",
        "my_stats",
        "rate",
        "start",
        "unrate",
        "watch_party",
        "why",
    ]
    assert len(set(names)) == len(names)
    for command in payload:
        assert command["type"] == 1
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= limits.COMMAND_DESCRIPTION
        options = command.get("options", [])
        assert len(options) <= limits.OPTIONS_PER_COMMAND
        required = [o.get("required", False) for o in options]
        assert required == sorted(required, reverse=True), "required options come first"
        for option in options:
            check_option(option)
        assert text_size(command) <= 4000  # Discord: names, descriptions and values together


def text_size(node) -> int:
    """The characters Discord counts towards a command's 4,000: every name, description and value."""
    if isinstance(node, list):
        return sum(text_size(n) for n in node)
    if not isinstance(node, dict):
        return 0
    own = sum(len(str(node[k])) for k in ("name", "description", "value") if k in node)
    return own + text_size(node.get("options", [])) + text_size(node.get("choices", []))


def test_payload_details(payload):
    by_name = {c["name"]: c for c in payload}
    rate = {o["name"]: o for o in by_name["rate"]["options"]}
    assert rate["film"]["autocomplete"] is True and rate["film"]["type"] == 3
    assert [c["value"] for c in rate["stars"]["choices"]] == [x / 2 for x in range(1, 11)]
    recs = {o["name"]: o for o in by_name["my_recommendations"]["options"]}
    assert (recs["count"]["min_value"], recs["count"]["max_value"]) == (1, 10)
    assert recs["genre"]["autocomplete"] and recs["decade"]["autocomplete"]
    status = by_name["cinesync_status"]
    assert int(status["default_member_permissions"]) == 32  # Manage Server
    assert status["dm_permission"] is False
    for name in ("rate", "my_recommendations", "my_stats", "forget_me", "import_history"):
        assert by_name[name]["default_member_permissions"] is None
    (export,) = by_name["import_history"]["options"]
    assert (export["name"], export["type"], export["required"]) == ("export", 11, True)  # 11: an attachment


def test_print_commands_matches_the_tree(payload):
    result = CliRunner().invoke(bot_command, ["--print-commands"], env={"DISCORD_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(payload))


def test_no_token_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(bot_command, [])
    assert result.exit_code == 2  # as every other command's user error
    assert f"error: {NO_TOKEN}" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception


def test_an_env_file_that_does_not_exist_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = CliRunner().invoke(bot_command, ["--env-file", str(tmp_path / "nope.env")])
    assert result.exit_code == 2 and "nope.env: no such file" in result.output


def test_token_read_from_env_file(tmp_path, monkeypatch):
    from bot.cli import read_token

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abc.def\n")
    assert read_token(env) == "abc.def"
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")
    assert read_token(env) == "from-env"  # the environment wins over the file


def test_sharded_bot_shares_one_service():
    async def build():
        service = object()
        one = build_bot(service, shards="off")
        many = build_bot(service, shards="3")
        return one, many, service

    one, many, service = asyncio.run(build())
    from discord.ext import commands

    assert not isinstance(one, commands.AutoShardedBot)
    assert isinstance(many, commands.AutoShardedBot) and many.shard_count == 3
    assert one.service is service and many.service is service
    assert not (many.intents.members or many.intents.presences or many.intents.message_content)


def test_cli_module_is_import_light():
    code = "import sys, bot.cli; print(sorted(m for m in ('discord', 'numpy', 'psycopg') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "failure, message",
    [
        ("login", "Discord rejected DISCORD_TOKEN"),
        ("offline", "could not reach Discord"),
    ],
)
def test_start_failures_are_clear(failure, message, db_url, tmp_path, monkeypatch):
    """With a token the bot opens the service (here a test database) and starts; Discord's
    refusal or no network ends with one clear line, and the service is closed again."""
    import discord

    import bot.app
    from personalization.service import Service

    started, closed = [], []

    class Bot:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            return False

        async def start(self, token):
            started.append(token)
            if failure == "login":
                raise discord.LoginFailure("Improper token has been passed.")
            raise OSError("Name or service not known")

    real_close = Service.close
    monkeypatch.setattr(Service, "close", lambda self: (closed.append(True), real_close(self)))
    monkeypatch.setattr(bot.app, "build_bot", lambda service, **kw: Bot())
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    result = CliRunner().invoke(bot_command, ["--no-sync"], env={"DISCORD_TOKEN": "abc.def"})
    assert result.exit_code == (1 if failure == "offline" else 2)
    assert message in result.output and "Traceback" not in result.output
    assert started == ["abc.def"] and closed == [True]


def test_one_error_handler_for_the_tree():
    from discord import app_commands

    from bot.errors import UNEXPECTED, CineSyncTree, message_for
    from personalization.errors import InvalidRating

    bot = asyncio.run(_built())
    assert isinstance(bot.tree, CineSyncTree)
    wrapped = app_commands.CommandInvokeError(bot.tree.get_command("rate"), InvalidRating("half steps only"))
    assert message_for(wrapped) == "half steps only"
    assert message_for(app_commands.MissingPermissions(["manage_guild"])).startswith("Only server managers")
    assert message_for(KeyError("secret detail")) == UNEXPECTED


async def _built():
    bot = build_bot(None, sync=False)
    await bot.add_cogs()
    return bot
