"""``/why film``: the explanation of a pick, privately; clear answers for a rated film and for
someone with no ratings (issue 14)."""

from __future__ import annotations

from discord_fakes import BOT_USER, FakeInteraction

from bot.cogs.explain import NOTHING_RATED, Why, why_embed
from bot.limits import EMBED_TOTAL


def test_why_explains_a_pick_privately(asvc, demo_service, run):
    user = demo_service.users("", 1)[0]["id"]
    pick = demo_service.recommend(user, 1).items[0]
    cog = Why(asvc)
    i = FakeInteraction(user)
    run(cog.why.callback(cog, i, film=str(pick.film.id)))
    kind, kwargs = i.first
    assert kind == "defer" and kwargs.get("ephemeral") is True
    embed = i.last_sent["embed"]
    assert pick.film.title in embed.title and "**#1** of" in embed.description
    explanation = demo_service.explain(user, pick.film.id)
    assert all(r in embed.description for r in explanation.reasons)
    fields = {f.name: f.value for f in embed.fields}
    assert any("moved it most" in name for name in fields)
    assert "How the score is made" in fields and "personal" in fields["How the score is made"]
    assert len(embed) <= EMBED_TOTAL


def test_why_on_a_rated_film_or_with_no_ratings_says_what_to_do(asvc, demo_service, run):
    user = demo_service.users("", 1)[0]["id"]
    rated = next(iter(demo_service.history(user)[0]))
    cog = Why(asvc)
    i = FakeInteraction(user)
    run(cog.why.callback(cog, i, film=str(rated)))
    assert "already rated" in i.last_sent["content"] and "/my_recommendations" in i.last_sent["content"]
    i = FakeInteraction(BOT_USER)  # nobody the demo data knows
    run(cog.why.callback(cog, i, film=str(rated)))
    assert i.last_sent["content"] == NOTHING_RATED


def test_why_embed_fits_discord_with_long_titles(demo_service):
    from dataclasses import replace

    user = demo_service.users("", 1)[0]["id"]
    e = demo_service.explain(user, demo_service.recommend(user, 1).items[0].film.id)
    long = replace(e, film=replace(e.film, title="A" * 400), reasons=[r * 20 for r in e.reasons])
    embed = why_embed(long)
    assert len(embed.title) <= 256 and len(embed) <= EMBED_TOTAL
