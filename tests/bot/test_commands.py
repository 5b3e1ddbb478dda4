"""Each slash command's callback, run with a stand-in interaction against the real service on a
real PostgreSQL: the reply (embeds, components) and what was stored."""

from __future__ import annotations

import discord
import numpy as np
import psycopg
import pytest
from discord import app_commands
from discord_fakes import BOT_USER, OTHER_USER, FakeInteraction, press

from bot.views import NOT_YOURS, ConfirmForgetView, QuickRateView, RecommendationsView, ShareView


def stars(value: float) -> app_commands.Choice[float]:
    return app_commands.Choice(name=f"{value:g}", value=value)


def assert_deferred_ephemeral(interaction: FakeInteraction) -> None:
    kind, kwargs = interaction.first
    assert kind == "defer" and kwargs.get("ephemeral") is True
    assert all(kw.get("ephemeral") for k, kw in interaction.log if k == "followup")


def sent_view(interaction: FakeInteraction, cls):
    view = interaction.last_sent["view"]
    assert isinstance(view, cls)
    assert view.message is interaction.sent[-1]  # remembered, so a timeout can grey it out
    return view


def component_ids(view: discord.ui.View) -> list[str]:
    return [c["custom_id"] for row in view.to_components() for c in row["components"]]


# -- /rate ----------------------------------------------------------------------------------------
def test_rate_one_film_lands(cogs, demo_service, run):
    cog = cogs["Rating"]
    film = demo_service.film(7)
    choices = run(cog.film_autocomplete(FakeInteraction(), film.title[:8]))
    assert choices and all(len(c.name) <= 100 for c in choices)
    assert any(c.value == "7" and c.name.endswith(f"({film.year})") for c in choices)

    i = FakeInteraction(name="alice")
    run(cog.rate.callback(cog, i, film="7", stars=stars(4.5)))
    assert_deferred_ephemeral(i)
    assert demo_service.history(BOT_USER)[0] == {7: 4.5}
    text = i.last_sent["content"]
    assert film.title in text and "4.5" in text
    assert "1 rating or reaction — 5 needed for personal picks (4 to go)" in text
    assert demo_service.users(str(BOT_USER), 1)[0]["name"] == "alice"  # remembered on first rating

    # a typed title (not picked from the list) is matched; re-rating replaces the stars
    i = FakeInteraction()
    run(cog.rate.callback(cog, i, film=film.title, stars=stars(2)))
    assert demo_service.history(BOT_USER)[0] == {7: 2.0}
    assert "Re-rated" in i.last_sent["content"]


@pytest.mark.parametrize("typed", ["zzzz no such film", "999999"])
def test_rate_unknown_film_is_a_readable_error(cogs, run, typed):
    from bot.errors import report_error

    cog = cogs["Rating"]
    i = FakeInteraction()
    try:
        run(cog.rate.callback(cog, i, film=typed, stars=stars(3)))
    except Exception as exc:  # the tree's on_error would receive it: check what it says
        run(report_error(i, app_commands.CommandInvokeError(cog.rate, exc)))
    else:
        raise AssertionError("expected an error")
    assert f"No film matches '{typed}'" in i.log[-1][1]["content"] and i.log[-1][1]["ephemeral"]


def test_quick_rating_cards(cogs, demo_service, run):
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.rate.callback(cog, i, film=None, stars=None)
        view = sent_view(i, QuickRateView)
        card = i.last_sent["embed"]
        assert "0 ratings or reactions — 5 needed for personal picks" in card.footer.text
        ids = component_ids(view)
        assert ids[:5] == [f"quick:stars:{s}" for s in range(1, 6)]
        assert {"quick:half", "quick:skip", "quick:done"} <= set(ids)
        first = view.current

        press_i = FakeInteraction()
        await press(view, "quick:stars:5", press_i)
        assert press_i.first == ("defer", {})
        assert view.current != first and press_i.edits[-1]["embed"].title != card.title
        assert "1 rating or reaction —" in press_i.edits[-1]["embed"].footer.text

        skipped = view.current
        await press(view, "quick:skip", FakeInteraction())
        half = view.current
        await press(view, "quick:half", FakeInteraction(), values=["3.5"])
        await press(view, "quick:done", done := FakeInteraction())
        assert view.is_finished() and all(c.disabled for c in view.children)
        assert "2 films this round" in done.edits[-1]["embed"].description
        return first, skipped, half

    first, skipped, half = run(flow())
    assert demo_service.history(BOT_USER)[0] == {first.id: 5.0, half.id: 3.5}
    assert skipped.id not in demo_service.history(BOT_USER)[0]


def test_quick_rating_refills_and_reaches_personal_picks(cogs, demo_service, run):
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.rate.callback(cog, i, film=None, stars=None)
        view = sent_view(i, QuickRateView)
        for _ in range(7):  # more than one batch of cards
            await press(view, "quick:stars:4", FakeInteraction())
        return view

    view = run(flow())
    assert len(demo_service.history(BOT_USER)[0]) == 7 and not view.is_finished()
    assert demo_service.recommend(BOT_USER, 3).mode == "personal"


def test_rate_film_without_stars_shows_one_card(cogs, demo_service, run):
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.rate.callback(cog, i, film="12", stars=None)
        view = sent_view(i, QuickRateView)
        assert view.current.id == 12
        await press(view, "quick:stars:2", after := FakeInteraction())
        assert view.is_finished()  # one film: nothing more to show
        return after

    after = run(flow())
    assert demo_service.history(BOT_USER)[0] == {12: 2.0}
    assert "You rated 1 film" in after.edits[-1]["embed"].description


def test_reactions_count_towards_personal_picks_in_rating_replies(cogs, demo_service, run):
    """The threshold counts films rated or reacted to: three reactions and one rating are four,
    in /rate's reply and on the quick-rating card (the reply used to say "1 rated ... 4 to go")."""
    for film_id in (3, 4, 5):
        demo_service.feedback(BOT_USER, film_id, "love")
    cog = cogs["Rating"]
    i = FakeInteraction()
    run(cog.rate.callback(cog, i, film="7", stars=stars(4)))
    assert "4 ratings or reactions — 5 needed for personal picks (1 to go)" in i.last_sent["content"]

    async def card():
        c = FakeInteraction()
        await cog.rate.callback(cog, c, film=None, stars=None)
        assert "4 ratings or reactions — 5 needed for personal picks" in c.last_sent["embed"].footer.text
        view = sent_view(c, QuickRateView)
        await press(view, "quick:stars:3", after := FakeInteraction())
        assert "5 ratings or reactions — enough for personal picks" in after.edits[-1]["embed"].footer.text

    run(card())


# -- /my_recommendations -----------------------------------------------------------------------
def test_recommendations_below_threshold_offer_quick_rating(cogs, run):
    cog = cogs["Picks"]

    async def flow():
        i = FakeInteraction()
        await cog.my_recommendations.callback(cog, i, count=4, genre=None, decade=None)
        assert_deferred_ephemeral(i)
        view = sent_view(i, RecommendationsView)
        embed = i.last_sent["embed"]
        assert embed.title == "Popular picks to start with" and len(embed.fields) == 4
        assert "personal picks need 5" in embed.description
        assert "recs:quick" in component_ids(view)
        await press(view, "recs:quick", q := FakeInteraction())
        assert isinstance(q.last_sent["view"], QuickRateView)

    run(flow())


def test_feedback_button_moves_the_embedding(cogs, demo_service, run):
    user = 5  # a demo user with plenty of ratings: personal picks
    before, _ = demo_service.user_vector(user)
    before = before.copy()
    cog = cogs["Picks"]

    async def flow():
        i = FakeInteraction(user)
        await cog.my_recommendations.callback(cog, i, count=5, genre=None, decade=None)
        view = sent_view(i, RecommendationsView)
        embed = i.last_sent["embed"]
        assert embed.title == "Your personal picks" and len(embed.fields) == 5
        assert all("match" in f.value for f in embed.fields)
        assert "recs:quick" not in component_ids(view)
        assert {f"recs:feedback:{k}" for k in ("love", "like", "dislike", "hate", "not_interested")} <= set(
            component_ids(view)
        )
        second = view.picks[1]
        await press(view, "recs:pick", FakeInteraction(user), values=[str(second.id)])
        await press(view, "recs:feedback:love", b := FakeInteraction(user))
        assert b.first == ("defer", {})
        assert "❤️" in b.edits[-1]["embed"].fields[1].name
        assert "loved" in b.last_sent["content"] and b.last_sent["ephemeral"]

        # someone else presses a button of this ephemeral-turned-shared message: refused
        await press(view, "recs:feedback:hate", other := FakeInteraction(OTHER_USER))
        assert other.log == [("send_message", {"content": NOT_YOURS, "ephemeral": True})]

        await press(view, "recs:similar", s := FakeInteraction(user))
        assert s.last_sent["embed"].title.startswith("More like")
        assert s.last_sent["ephemeral"] is True

        await press(view, "recs:share", shared := FakeInteraction(user))
        assert shared.last_sent["ephemeral"] is False and len(shared.last_sent["embed"].fields) == 5
        return second

    second = run(flow())
    after, _ = demo_service.user_vector(user)
    assert not np.allclose(before, after)
    with psycopg.connect(demo_service.db.url) as conn:
        rows = conn.execute(
            "SELECT user_id, movie_id, kind FROM feedback WHERE user_id IN (%s, %s)", (user, OTHER_USER)
        ).fetchall()
    assert rows == [(user, second.id, "love")]
    assert demo_service.user_vector(OTHER_USER) is None


def test_reaction_to_a_pick_updates_the_progress_and_hides_the_film(cogs, demo_service, run):
    cog = cogs["Picks"]

    async def flow():
        i = FakeInteraction()
        await cog.my_recommendations.callback(cog, i, count=5, genre=None, decade=None)
        view = sent_view(i, RecommendationsView)
        assert "0 ratings or reactions — 5 needed" in i.last_sent["embed"].description
        hated = view.picks[0]
        await press(view, "recs:feedback:hate", b := FakeInteraction())
        description = b.edits[-1]["embed"].description
        assert "1 rating or reaction — 5 needed for personal picks (4 to go)" in description
        assert "rated or reacted to 1 film;" in description
        assert "won't suggest it again" in b.last_sent["content"]

        again = FakeInteraction()
        await cog.my_recommendations.callback(cog, again, count=5, genre=None, decade=None)
        assert hated.id not in {f.id for f in sent_view(again, RecommendationsView).picks}
        assert "1 rating or reaction —" in again.last_sent["embed"].description

    run(flow())


def test_recommendations_filters_and_bad_genre(cogs, demo_service, run):
    cog = cogs["Picks"]
    genres = run(cog.genre_autocomplete(FakeInteraction(), "dra"))
    assert [c.value for c in genres][:1] == ["Drama"]
    decades = run(cog.decade_autocomplete(FakeInteraction(), "19"))
    assert decades and all(c.name.endswith("0s") and str(c.value).startswith("19") for c in decades)

    i = FakeInteraction(5)
    run(cog.my_recommendations.callback(cog, i, count=3, genre="drama", decade=1990))
    embed = i.last_sent["embed"]
    assert "Filtered to genre **Drama** in the **1990s**" in embed.description
    for rec in i.last_sent["view"].recs.items:
        assert "Drama" in rec.film.genres and 1990 <= rec.film.year < 2000

    try:
        run(cog.my_recommendations.callback(cog, FakeInteraction(5), count=3, genre="Polka", decade=None))
    except Exception as exc:
        assert "no genre 'Polka'" in str(exc)
    else:
        raise AssertionError("expected an unknown-genre error")


# -- /my_stats and /forget_me -----------------------------------------------------------------
def test_my_stats(cogs, demo_service, run):
    cog = cogs["Profile"]
    i = FakeInteraction(5, name="bob")
    run(cog.my_stats.callback(cog, i))
    assert_deferred_ephemeral(i)
    embed = i.last_sent["embed"]
    n = demo_service.profile(5).n_ratings
    assert embed.title == "Bob's taste" and f"{n} ratings or reactions" in embed.description
    assert {f.name for f in embed.fields} >= {
        "Favourite genres",
        "Favourite directors",
        "Favourite actors",
        "Favourite decades",
    }
    assert "How personal your picks are:" in embed.description

    async def share():  # private by default; the owner may post a copy in the channel
        view = sent_view(i, ShareView)
        await press(view, "share", pressed := FakeInteraction(5, name="bob"))
        public = pressed.last_sent
        assert public["ephemeral"] is False and public["embed"].author.name == "shared by Bob"
        assert view.is_finished()

    run(share())

    stranger = FakeInteraction(OTHER_USER)
    run(cog.my_stats.callback(cog, stranger))
    assert "rate a few films" in stranger.last_sent["content"]


def test_my_stats_shows_the_personal_weight_only_when_the_picks_use_it(cogs, demo_service, run):
    """Issue 16, item 10: below the threshold the stored prior weight (0.2) is not what the picks
    use (they use none), so it is not shown; reactions count towards the threshold."""
    cog = cogs["Profile"]
    demo_service.rate(BOT_USER, 3, 5)
    demo_service.rate(BOT_USER, 4, 4)
    assert demo_service.profile(BOT_USER).blend_weight > 0  # stored, but unused by the picks
    i = FakeInteraction()
    run(cog.my_stats.callback(cog, i))
    text = i.last_sent["embed"].description
    assert "2 ratings or reactions — 5 needed for personal picks (3 to go)" in text
    assert "How personal your picks are: not yet, popular picks only: 3 more ratings or reactions needed" in text
    assert "% your taste" not in text and "rating(s)" not in text

    for film_id in (5, 6, 8):
        demo_service.feedback(BOT_USER, film_id, "love")
    recs = demo_service.recommend(BOT_USER, 1)
    assert recs.mode == "personal"
    i = FakeInteraction()
    run(cog.my_stats.callback(cog, i))
    text = i.last_sent["embed"].description
    assert "5 ratings or reactions — enough for personal picks" in text
    assert "Average 4.50★ over 2 ratings" in text
    assert f"How personal your picks are: {recs.blend_weight:.0%} your taste" in text


def _rows_about(service, user: int) -> int:
    with psycopg.connect(service.db.url) as conn:
        return sum(
            conn.execute(f"SELECT count(*) FROM {table} WHERE {col} = %s", (user,)).fetchone()[0]
            for table, col in [
                ("users", "id"),
                ("ratings", "user_id"),
                ("feedback", "user_id"),
                ("user_embeddings", "user_id"),
                ("user_preferences", "user_id"),
                ("user_model_weights", "user_id"),
            ]
        )


def test_forget_me_leaves_nothing(cogs, demo_service, run):
    demo_service.rate(BOT_USER, 3, 4)
    demo_service.feedback(BOT_USER, 4, "love")
    demo_service.set_user_name(BOT_USER, "alice")
    demo_service.profile(BOT_USER)
    assert _rows_about(demo_service, BOT_USER) >= 4
    cog = cogs["Profile"]

    async def flow():
        i = FakeInteraction()
        await cog.forget_me.callback(cog, i)
        view = sent_view(i, ConfirmForgetView)
        await press(view, "forget:confirm", other := FakeInteraction(OTHER_USER))
        assert other.log[0][1]["content"] == NOT_YOURS and view.deleted is None
        await press(view, "forget:confirm", yes := FakeInteraction())
        assert view.deleted >= 4 and view.is_finished()
        assert "deleted everything" in yes.edits[-1]["content"]
        assert all(c.disabled for c in view.children)

    run(flow())
    assert _rows_about(demo_service, BOT_USER) == 0


def test_forget_me_cancel_keeps_data(cogs, demo_service, run):
    demo_service.rate(BOT_USER, 3, 4)
    cog = cogs["Profile"]

    async def flow():
        i = FakeInteraction()
        await cog.forget_me.callback(cog, i)
        view = sent_view(i, ConfirmForgetView)
        await press(view, "forget:cancel", FakeInteraction())
        assert view.is_finished()

    run(flow())
    assert demo_service.history(BOT_USER)[0] == {3: 4.0}


# -- admin -----------------------------------------------------------------------------------------
def test_status_is_for_managers_only(cogs, demo_service, run):
    cog = cogs["Admin"]
    member = FakeInteraction()
    run(cog.cinesync_status.callback(cog, member))
    assert "Only server managers" in member.last_sent["content"]
    assert member.last_sent.get("embed") is None

    admin = FakeInteraction(permissions=discord.Permissions(manage_guild=True))
    run(cog.cinesync_status.callback(cog, admin))
    embed = admin.last_sent["embed"]
    status = demo_service.status()
    values = " ".join(f.value for f in embed.fields)
    assert f"{status.films:,} films" in values and f"{status.ratings:,} ratings" in values
    assert status.current_model_version in values


# -- views in general --------------------------------------------------------------------------
def test_timeout_disables_buttons(asvc, run):
    async def flow():
        view = ConfirmForgetView(asvc, BOT_USER)
        i = FakeInteraction()
        await i.response.defer()
        message = await i.followup.send("x", view=view)
        view.message = message
        await view.on_timeout()
        assert message.edits and all(c.disabled for c in message.edits[-1]["view"].children)

    run(flow())


def test_view_errors_reach_the_person_and_the_log(asvc, run, caplog):
    async def flow():
        view = ConfirmForgetView(asvc, BOT_USER)
        i = FakeInteraction()
        await i.response.defer()
        await view.on_error(i, RuntimeError("boom"), view.children[0])
        return i

    i = run(flow())
    assert "Something went wrong" in i.last_sent["content"] and i.last_sent["ephemeral"]
    assert "boom" not in i.last_sent["content"]
    assert any("boom" in (r.exc_text or "") or (r.exc_info and "boom" in str(r.exc_info[1])) for r in caplog.records)
