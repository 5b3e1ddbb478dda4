"""/start: the genre menu, then quick-rating cards of those genres that adapt after each answer."""

from __future__ import annotations

from discord_fakes import BOT_USER, OTHER_USER, FakeInteraction, press

from bot.views import NOT_YOURS, QuickRateView
from bot.views.quick_rate import GenrePickView, genre_options


def _components(view) -> dict[str, dict]:
    return {c["custom_id"]: c for row in view.to_components() for c in row["components"]}


def test_genre_options_are_the_most_common_by_name():
    films = [("Drama",), ("Drama", "War"), ("Comedy",), ("War",), ("Drama",), ("Horror",)]
    assert genre_options(films, limit=3) == ["Comedy", "Drama", "War"]  # Drama 3, War 2, then Comedy < Horror


def test_start_picks_genres_then_cards_of_those_genres(cogs, demo_service, run):
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.start.callback(cog, i)
        assert i.first == ("defer", {"ephemeral": True, "thinking": True})
        view = i.last_sent["view"]
        assert isinstance(view, GenrePickView) and view.message is i.sent[-1]
        menu = _components(view)["start:genres"]
        labels = [o["value"] for o in menu["options"]]
        assert "Horror" in labels and "War" in labels and menu["max_values"] == 5
        assert "Welcome to CineSync" in i.texts() and "0 ratings or reactions" in i.texts()

        stranger = FakeInteraction(OTHER_USER)  # only the member who ran /start may pick
        await press(view, "start:genres", stranger, values=["Horror"])
        assert stranger.log[-1][1]["content"] == NOT_YOURS and view.cards is None

        pick = FakeInteraction()
        await press(view, "start:genres", pick, values=["Horror", "War"])
        cards = view.cards
        assert isinstance(cards, QuickRateView) and view.is_finished()
        assert pick.edits[-1]["view"] is cards and cards.genres == ["Horror", "War"]
        assert all({"Horror", "War"} & set(f.genres) for f in cards.queue)

        first = cards.current
        await press(cards, "quick:stars:5", FakeInteraction())
        skipped = cards.current
        await press(cards, "quick:skip", FakeInteraction())
        for _ in range(3):
            await press(cards, "quick:stars:4", FakeInteraction())
        assert cards.current is not None and cards.current.id not in {first.id, skipped.id}
        assert {"Horror", "War"} & set(cards.current.genres)
        return first, skipped

    first, skipped = run(flow())
    rated = demo_service.history(BOT_USER)[0]
    assert len(rated) == 4 and rated[first.id] == 5.0 and skipped.id not in rated


def test_cards_adapt_after_each_answer(cogs, demo_service, run):
    """The next card is asked of the service after every rating: it is what films_to_rate gives
    for the member's answers so far (not the rest of an old batch)."""
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.start.callback(cog, i)
        view = i.last_sent["view"]
        await press(view, "start:any", FakeInteraction())
        cards = view.cards
        assert cards is not None and cards.genres == []
        await press(cards, "quick:stars:1", FakeInteraction())
        return [f.id for f in cards.queue]

    queue = run(flow())
    assert queue == [f.id for f in demo_service.films_to_rate(BOT_USER, 5)]


def test_skipping_many_cards_keeps_going(cogs, run):
    """Skipped films are passed to films_to_rate as ``exclude``: past 100 skips (films_to_rate's
    largest n, which the view used to ask for to filter them itself) the cards keep coming."""
    cog = cogs["Rating"]

    async def flow():
        i = FakeInteraction()
        await cog.rate.callback(cog, i, film=None, stars=None)
        cards = i.last_sent["view"]
        for _ in range(110):
            await press(cards, "quick:skip", FakeInteraction())
        return cards

    cards = run(flow())
    assert len(cards.skipped) == 110 and not cards.is_finished()
    assert cards.current is not None and cards.current.id not in cards.skipped
