"""/watch_party and its vote, and /my_recommendations in a mood, with stand-in interactions
against the real service on a real PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from discord import app_commands
from discord_fakes import OTHER_USER, FakeInteraction, FakeUser, press

from bot.cogs.recommendations import MoodPicksView
from bot.cogs.watch_party import MOOD_CHOICES, STRATEGY_CHOICES, WatchParty, party_members
from bot.views.vote import NOT_A_MEMBER, VoteView, party_embed, winner
from personalization.core import moods
from personalization.core.group import STRATEGIES
from personalization.errors import CineSyncError


@pytest.fixture
def party(asvc):
    return WatchParty(asvc)


@pytest.fixture
def friends(demo_service):
    """Three demo members with ratings: (id, name) each."""
    return [(u["id"], f"user{n}") for n, u in enumerate(demo_service.users("", limit=3))]


def choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value, value=value)


def test_choices_cover_the_engine():
    assert sorted(c.value for c in STRATEGY_CHOICES) == sorted(STRATEGIES)
    assert [c.value for c in MOOD_CHOICES] == list(moods.MOODS)


def test_party_members_caller_named_and_voice_channel():
    me, a, b, robot = FakeUser(1, "me"), FakeUser(2, "a"), FakeUser(3, "b"), FakeUser(4, "robot")
    robot.bot = True
    me.voice = SimpleNamespace(channel=SimpleNamespace(members=[me, b, robot]))
    assert [m.id for m in party_members(me, [a, None, a])] == [1, 2, 3]
    assert [m.id for m in party_members(FakeUser(1), [None])] == [1]


def test_watch_party_posts_the_list_and_the_vote(party, friends, demo_service, run):
    (host, host_name), (guest, guest_name), (third, third_name) = friends
    i = FakeInteraction(host, name=host_name)
    run(party.watch_party.callback(party, i, member1=FakeUser(guest, guest_name), count=4, strategy=choice("average")))
    kind, kwargs = i.first
    assert kind == "defer" and not kwargs.get("ephemeral")  # public: the members vote on it
    sent = i.last_sent
    view, embed = sent["view"], sent["embed"]
    assert isinstance(view, VoteView) and view.message is i.sent[-1]
    assert view.picks.user_ids == [host, guest] and view.picks.strategy == "average"
    assert len(embed.fields) == 4
    for field in embed.fields:
        assert f"{host_name.title()} " in field.value and f"{guest_name.title()} " in field.value
        assert "★" in field.value and "votes: 0" in field.value
    seen = demo_service.history(host)[1] | demo_service.history(guest)[1]
    assert not seen & {p.film.id for p in view.picks.items}
    ids = [c.custom_id for c in view.children]
    assert ids == [f"party:vote:{p.film.id}" for p in view.picks.items] + ["party:close"]

    # the voice channel joins in: three members although one was named
    i = FakeInteraction(host, name=host_name)
    i.user.voice = SimpleNamespace(channel=SimpleNamespace(members=[FakeUser(third, third_name)]))
    run(party.watch_party.callback(party, i, member1=FakeUser(guest, guest_name), mood=choice("funny")))
    picks = i.last_sent["view"].picks
    assert picks.user_ids == [host, guest, third] and picks.mood == "funny"
    assert all(moods.film_matches(moods.MOODS["funny"], p.film) for p in picks.items)


def test_voting_tallies_and_the_host_closes(party, friends, run):
    (host, host_name), (guest, guest_name), _ = friends
    i = FakeInteraction(host, name=host_name)
    run(party.watch_party.callback(party, i, member1=FakeUser(guest, guest_name), count=3))
    view = i.last_sent["view"]
    first, second = (p.film.id for p in view.picks.items[:2])

    run(press(view, f"party:vote:{second}", FakeInteraction(guest, name=guest_name)))
    run(press(view, f"party:vote:{first}", FakeInteraction(host, name=host_name)))
    stranger = FakeInteraction(OTHER_USER)
    run(press(view, f"party:vote:{first}", stranger))
    assert stranger.log[-1][1]["content"] == NOT_A_MEMBER and stranger.log[-1][1]["ephemeral"]
    assert view.votes == {guest: second, host: first}  # the stranger's press counted for nothing
    voter = FakeInteraction(guest, name=guest_name)
    run(press(view, f"party:vote:{first}", voter))  # a member may move their vote
    assert view.votes == {guest: first, host: first}
    assert "votes: 2" in voter.edits[-1]["embed"].fields[0].value
    assert "2 of 2 voted" in voter.edits[-1]["embed"].description

    guest_closes = FakeInteraction(guest, name=guest_name)
    run(press(view, "party:close", guest_closes))
    assert "Only the host" in guest_closes.log[-1][1]["content"] and not view.closed
    host_closes = FakeInteraction(host, name=host_name)
    run(press(view, "party:close", host_closes))
    assert view.closed and all(c.disabled for c in view.children)
    assert f"**{view.picks.items[0].film.title}" in host_closes.edits[-1]["embed"].description
    assert "wins" in host_closes.edits[-1]["embed"].description


def test_winner_ties_go_to_the_higher_place(party, friends, run):
    (host, _), (guest, _), _ = friends
    i = FakeInteraction(host)
    run(party.watch_party.callback(party, i, member1=FakeUser(guest), count=3))
    picks = i.last_sent["view"].picks
    a, b = picks.items[0].film.id, picks.items[1].film.id
    assert winner(picks, {}) is None
    assert winner(picks, {host: b, guest: a}) == a
    assert winner(picks, {host: b, guest: b}) == b
    embed = party_embed(picks, {}, {host: b}, closed=True)
    assert "wins" in embed.description and len(embed) <= 6000


def test_a_party_needs_company_and_known_members(party, friends, run):
    host, _ = friends[0]
    with pytest.raises(CineSyncError, match="needs someone to watch with"):
        run(party.watch_party.callback(party, FakeInteraction(host), member1=FakeUser(host)))
    with pytest.raises(CineSyncError, match="Newbie has not rated anything yet"):
        run(party.watch_party.callback(party, FakeInteraction(host), member1=FakeUser(987_654_321, "newbie")))


def test_my_recommendations_in_a_mood(cogs, friends, run):
    cog = cogs["Picks"]
    user, name = friends[0]
    i = FakeInteraction(user, name=name)
    run(cog.my_recommendations.callback(cog, i, count=5, mood=choice("scary")))
    view = i.last_sent["view"]
    assert isinstance(view, MoodPicksView)
    assert all("Horror" in r.film.genres for r in view.recs.items) and view.recs.items
    assert "In the mood: **scary**" in i.last_sent["embed"].description
