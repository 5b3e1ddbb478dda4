"""docs/integration.md, run: its Python snippets against the demo database, its discord.py example
with CineSync's cogs in a foreign bot, and its JavaScript client with Node against `cinesync serve`."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys

import pytest
from api_helpers import ROOT, WRITE_KEY, serve_env

GUIDE = ROOT / "docs" / "integration.md"
NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def example(name: str) -> str:
    """The fenced code block right after ``<!-- example: name -->`` in the guide."""
    match = re.search(rf"<!-- example: {re.escape(name)} -->\s*```\w+\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"no example {name!r} in {GUIDE}"
    return match.group(1)


@pytest.mark.parametrize(
    "name, expected", [("python-sync", ["rated ", "refused: rating must be"]), ("python-async", ["3 picks, mode"])]
)
def test_the_python_examples_run(demo_db_url, tmp_path, name, expected):
    out = subprocess.run(
        [sys.executable, "-c", example(name)],
        env=serve_env(demo_db_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr, out.stderr  # e.g. implicit's about OpenBLAS threads
    for text in expected:
        assert text in out.stdout


def test_the_cogs_join_a_foreign_bot_beside_its_own_commands(demo_service):
    from personalization.service import AsyncService

    namespace: dict = {}
    exec(compile(example("discord-py"), "integration.md", "exec"), namespace)

    async def build():
        bot = namespace["MyBot"](my_pool=object(), engine=AsyncService(demo_service))
        await bot.setup_hook()
        payload = {c.name: c.to_dict(bot.tree) for c in bot.tree.get_commands()}
        cogs = set(bot.cogs)
        await bot.close()
        return bot, payload, cogs

    bot, payload, cogs = asyncio.run(build())
    assert set(payload) == {
        "ping",
        "rate",
        "my_recommendations",
        "my_stats",
        "forget_me",
        "import_history",
        "cinesync_status",
        "start",
        "watch_party",
        "my_data",
        "why",
        "unrate",
    }
    assert cogs == {
        "MyOwnCog",
        "Rating",
        "Picks",
        "Profile",
        "History",
        "Admin",
        "WatchParty",
        "MyData",
        "Why",
        "Unrating",
    }
    assert bot.command_prefix == "!"  # the host bot's own settings are untouched
    for command in payload.values():
        assert NAME.match(command["name"]) and 1 <= len(command["description"]) <= 100
        for option in command.get("options", []):
            assert NAME.match(option["name"]) and 1 <= len(option["description"]) <= 100


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_client_runs_with_node_against_a_real_server(server, demo_service, tmp_path):
    script = tmp_path / "cinesync.mjs"
    script.write_text(example("cinesync.mjs"))
    user = str(2**62 + 12345)  # a snowflake-sized id, sent as a string
    env = {**os.environ, "CINESYNC_URL": server, "CINESYNC_API_KEY": WRITE_KEY, "DISCORD_USER_ID": user}
    out = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("rated ") and "top picks (base):" in out.stdout
    assert "refused: stars: Input should be less than or equal to 5 (got 7)" in out.stdout
    assert "undefined" not in out.stdout
    assert len(demo_service.history(int(user))[0]) == 1
