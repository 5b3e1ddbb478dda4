"""``/unrate``: removes the member's own rating of a film; a film they have not rated is a
readable error and changes nothing; the autocomplete offers only their rated films."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord_fakes import BOT_USER, FakeInteraction

from bot.cogs.unrate import Unrating


@pytest.fixture
def cog(asvc):
    return Unrating(asvc)


def test_unrate_removes_the_members_rating(cog, demo_service, run):
    demo_service.rate(BOT_USER, 7, 4.5)
    demo_service.rate(BOT_USER, 8, 2.0)
    film = demo_service.film(7)
    choices = run(cog.rated_film_autocomplete(FakeInteraction(), ""))
    assert sorted(c.value for c in choices) == ["7", "8"]

    i = FakeInteraction()
    run(cog.unrate.callback(cog, i, film="7"))
    kind, kwargs = i.first
    assert kind == "defer" and kwargs.get("ephemeral") is True
    text = i.last_sent["content"]
    assert film.title in text and "was ★★★★½ 4.5" in text and "1 rating or reaction" in text
    assert demo_service.history(BOT_USER)[0] == {8: 2.0}
    assert [c.value for c in run(cog.rated_film_autocomplete(FakeInteraction(), ""))] == ["8"]


def test_unrating_a_film_not_rated_is_a_readable_error(cog, demo_service, run):
    from bot.errors import report_error

    demo_service.rate(BOT_USER, 8, 2.0)
    i = FakeInteraction()
    try:
        run(cog.unrate.callback(cog, i, film="7"))
    except Exception as exc:  # the tree's on_error would receive it: check what it says
        run(report_error(i, app_commands.CommandInvokeError(cog.unrate, exc)))
    else:
        raise AssertionError("expected an error")
    assert "You have not rated" in i.log[-1][1]["content"] and "nothing to remove" in i.log[-1][1]["content"]
    assert demo_service.history(BOT_USER)[0] == {8: 2.0}
