"""The security promises, a test each: parameterised SQL, no pickle or eval of stored data,
secrets never shown, only the owner presses their buttons, admin commands check permissions at
run time, a member reaches only their own data through the bot, and forget leaves nothing."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
from pathlib import Path

import discord
import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bot"))  # the bot tests' stand-in interactions
from discord_fakes import BOT_USER, OTHER_USER, FakeInteraction, press  # noqa: E402

from personalization.core.catalogue import Film  # noqa: E402
from personalization.service import AsyncService  # noqa: E402

ROOT = Path(__file__).parents[2]
HOSTILE = [
    "Robert'); DROP TABLE ratings;--",
    "%s %(x)s %% {0} $1",
    "\\'; SELECT pg_sleep(10); --",
    "Amélie 🎬 ‮gnp.exe",
    "' OR '1'='1",
    "a" * 5000,
]


def test_hostile_titles_and_names_round_trip_unchanged(service):
    service.import_films([Film(i + 1, title, 1999, ("Drama",)) for i, title in enumerate(HOSTILE)])
    for i, title in enumerate(HOSTILE):
        assert service.film(i + 1).title == title
        assert any(f.id == i + 1 for f in service.search_films(title[:100], 25)), title[:40]
        service.set_user_name(100 + i, title[:200])
        service.rate(100 + i, i + 1, 4.0)
        found = service.users(str(100 + i))
        assert [u["name"] if isinstance(u, dict) else u.name for u in found] == [title[:200]]
    assert service.status().ratings == len(HOSTILE)  # the tables are all still there


def test_no_pickle_eval_or_exec_of_stored_data():
    """Stored vectors are real[] arrays and settings are JSON: nothing deserialises code."""
    banned = re.compile(
        r"\bpickle\.loads?\(|\bmarshal\.loads?\(|\beval\(|\bexec\(|allow_pickle\s*=\s*True|yaml\.load\(|shelve\."
    )
    hits = []
    for folder in ("personalization", "bot", "dashboards"):
        for path in (ROOT / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if banned.search(line) and not line.lstrip().startswith("#"):
                    hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, hits


def test_secrets_are_never_shown(monkeypatch, capsys, caplog):
    from personalization.storage.db import redact

    url = "postgresql://cinesync:s3cr3t-pa55@db.example:5432/cinesync"
    assert "s3cr3t-pa55" not in redact(url) and "***" in redact(url)
    # only the password is masked, even when it also appears elsewhere in the address
    assert redact("postgresql://u:p@127.0.0.1:1/x") == "postgresql://u:***@127.0.0.1:1/x"
    assert redact("postgresql://u:u@h/x") == "postgresql://u:***@h/x"
    assert redact("host=h password='a b' user=u") == "host=h password=*** user=u"
    assert redact("postgresql://u@h/x?password=pw") == "postgresql://u@h/x?password=***"
    from personalization.config import Settings
    from personalization.errors import StorageError
    from personalization.storage.db import open_database

    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as failure:  # the message a person reads when it cannot connect
        open_database(
            Settings(home=Path("/nonexistent"), pool_timeout=1.0), url=url.replace("db.example", "127.0.0.1:1")
        )
    shown = str(failure.value) + capsys.readouterr().err + caplog.text
    assert "s3cr3t-pa55" not in shown, shown


def test_api_settings_do_not_show_their_keys():
    from personalization.api.access import ApiSettings

    settings = ApiSettings(api_key="write-key-123456", read_key="read-key-1234567")
    assert "write-key-123456" not in repr(settings) and "read-key-1234567" not in repr(settings)


def _views() -> list[type]:
    import bot.views as views

    found = []
    for module in [views, *[getattr(views, m) for m in dir(views) if inspect.ismodule(getattr(views, m))]]:
        found += [c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, discord.ui.View)]
    return sorted(set(found), key=lambda c: c.__name__)


def test_every_view_lets_only_its_owner_press_its_buttons():
    from bot.views import OwnedView
    from bot.views.vote import VoteView

    views = [v for v in _views() if v is not OwnedView]
    assert views, "no views found"
    for view in views:
        assert issubclass(view, OwnedView), f"{view.__name__} is not an OwnedView"
        if view is VoteView:
            # The one view several people press: the watch party's vote. Its check admits the
            # party's members only (tests/bot/test_watch_party.py presses it as a stranger).
            assert "self.members" in inspect.getsource(view.interaction_check)
            continue
        assert view.interaction_check is OwnedView.interaction_check, f"{view.__name__} overrides the owner check"

    class Service:  # records what a press would have done
        forgotten: list[int] = []

        async def forget(self, user_id: int) -> int:
            self.forgotten.append(user_id)
            return 1

    from bot.views import NOT_YOURS, ConfirmForgetView

    async def scenario() -> tuple[FakeInteraction, ConfirmForgetView]:
        view = ConfirmForgetView(Service(), BOT_USER)  # type: ignore[arg-type]
        stranger = FakeInteraction(OTHER_USER)
        await press(view, "forget:confirm", stranger)
        return stranger, view

    stranger, view = asyncio.run(scenario())
    assert Service.forgotten == [] and view.deleted is None
    assert stranger.first == ("send_message", {"content": NOT_YOURS, "ephemeral": True})


def test_admin_commands_check_permissions_when_run(demo_service):
    from bot.cogs import Admin

    cog = Admin(AsyncService(demo_service))
    member = FakeInteraction(OTHER_USER, permissions=discord.Permissions(send_messages=True))
    asyncio.run(cog.cinesync_status.callback(cog, member))
    assert "Only server managers" in member.texts() and "ratings" not in member.texts().lower()
    manager = FakeInteraction(OTHER_USER, permissions=discord.Permissions(manage_guild=True))
    asyncio.run(cog.cinesync_status.callback(cog, manager))
    assert "Only server managers" not in manager.texts()


# Commands that name other members, and why that is safe: /watch_party only reads the named
# members' predicted liking of unrated films for a list posted to the channel they are in; it
# writes nothing for them and shows none of their ratings.
NAMES_OTHERS = {"watch_party"}


def test_no_bot_command_takes_another_members_id():
    """Every command acts on ``interaction.user``: none has a user, member or id option, so a
    member cannot name someone else to read or change their data (``NAMES_OTHERS`` apart)."""
    from bot.app import command_payload

    payload = asyncio.run(command_payload())
    assert NAMES_OTHERS <= {c["name"] for c in payload}
    for command in payload:
        if command["name"] in NAMES_OTHERS:
            continue
        for option in command.get("options", []):
            assert option["type"] not in (6, 9), (command["name"], option["name"])  # USER, MENTIONABLE
            assert not re.search(r"user|member|id$", option["name"]), (command["name"], option["name"])


def test_forget_leaves_no_row_cache_entry_or_log_line(service, small_catalogue, db_url, caplog):
    user = 4_242_424_242
    service.set_user_name(user, "Zelda")
    for film in range(1, 8):
        service.rate(user, film, 5.0 if film % 2 else 1.5)
    service.feedback(user, 9, "love")
    service.profile(user)
    service.recommend(user, 5)
    assert service.vectors.get(user) is not None

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    assert service.forget(user) > 0
    with psycopg.connect(db_url) as conn:
        for table, column in [
            ("users", "id"),
            ("ratings", "user_id"),
            ("feedback", "user_id"),
            ("user_embeddings", "user_id"),
            ("user_preferences", "user_id"),
            ("user_model_weights", "user_id"),
        ]:
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", (user,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM users WHERE name = 'Zelda'").fetchone() == (0,)
    assert service.vectors.get(user) is None and service.profiles.get(user) is None
    assert str(user) not in caplog.text and "Zelda" not in caplog.text
