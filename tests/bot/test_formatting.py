"""The pure formatting functions: what the person reads, always inside Discord's limits."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot import formatting as fmt
from bot import limits
from bot.limits import ELLIPSIS, fit_lines, shorten
from personalization.core.catalogue import Film
from personalization.core.preferences import CommunityStats, FeatureScore, RatedFilm, analyse
from personalization.service import Recommendation, Recommendations, Status

LONG = "The Extraordinarily Long and Winding Adventures of a Film Title That Never Seems to End " * 6


def film(i: int, title: str = "Heat", year: int | None = 1995, genres=("Crime", "Drama")) -> Film:
    return Film(i, title, year, tuple(genres), ("Michael Mann",), ("Al Pacino", "Robert De Niro"))


def recs(films, mode="personal", n_ratings=12, reason="because you liked Heat (1995)") -> Recommendations:
    items = [Recommendation(f, 0.9 - i / 100, 0.8, 0.5, "popularity", reason) for i, f in enumerate(films)]
    return Recommendations(42, mode, items, n_ratings, 0.6 if mode == "personal" else 0.0, 5)


def assert_embed_within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= limits.EMBED_TOTAL
    assert len(embed.title or "") <= limits.EMBED_TITLE
    assert len(embed.description or "") <= limits.EMBED_DESCRIPTION
    assert len(embed.fields) <= limits.EMBED_FIELDS
    for f in embed.fields:
        assert 1 <= len(f.name) <= limits.FIELD_NAME and 1 <= len(f.value) <= limits.FIELD_VALUE
    assert len(embed.footer.text or "") <= limits.FOOTER


@pytest.mark.parametrize("limit", [1, 2, 10, 45, 100])
def test_shorten(limit):
    out = shorten(LONG, limit)
    assert len(out) <= limit and out.endswith(ELLIPSIS)
    assert shorten("Heat", limit if limit >= 4 else 4) == "Heat"
    assert shorten("  two\n lines ", 100) == "two lines"


def test_shorten_cuts_at_a_word():
    assert shorten("The Lord of the Rings: The Return of the King", 30) == "The Lord of the Rings: The…"


def test_fit_lines_keeps_whole_lines():
    assert fit_lines(["aaaa", "bbbb", "cccc"], 14) == "aaaa\nbbbb\ncccc"
    assert fit_lines(["aaaa", "bbbb", "cccc"], 10) == "aaaa\n" + ELLIPSIS
    assert len(fit_lines([LONG] * 50, 1024)) <= 1024


def test_film_label_keeps_the_year():
    label = fmt.film_label(film(1, LONG, 1984), 100)
    assert 90 <= len(label) <= 100 and label.endswith(f"{ELLIPSIS} (1984)")
    assert fmt.film_label(film(1, "Heat", None)) == "Heat"


def test_stars_and_progress():
    assert fmt.stars_text(3.5) == "★★★½ 3.5" and fmt.stars_text(0.5) == "½ 0.5"
    assert fmt.star_choice_name(1) == "★ 1 star"
    assert fmt.progress_text(3, 5) == "3 ratings or reactions — 5 needed for personal picks (2 to go)"
    assert fmt.progress_text(7, 5) == "7 ratings or reactions — enough for personal picks"
    assert fmt.decade_name(1994) == "1990s"


def test_recommendations_embed():
    embed = fmt.recommendations_embed(
        recs([film(1), film(2, "Ronin", 1998)]), genre="Crime", decade=1990, feedback={2: "love"}
    )
    assert embed.title == "Your personal picks"
    assert "Filtered to genre **Crime** in the **1990s**" in embed.description
    assert embed.fields[0].name == "1. Heat (1995)"
    assert "Crime, Drama · match 90%" in embed.fields[0].value
    assert "because you liked Heat (1995)" in embed.fields[0].value
    assert embed.fields[1].name.endswith("❤️")
    assert "personal blend 60%" in embed.footer.text
    assert_embed_within_limits(embed)


def test_recommendations_embed_base_mode_and_empty():
    embed = fmt.recommendations_embed(recs([film(1)], mode="base", n_ratings=2))
    assert embed.title == "Popular picks to start with"
    assert "personal picks need 5" in embed.description and "Rate films" in embed.description
    empty = fmt.recommendations_embed(recs([], mode="base", n_ratings=0))
    assert "No films match" in empty.description and not empty.fields


def test_huge_recommendations_stay_within_limits():
    many = [film(i, LONG, 2001, genres=[f"Genre {g} " * 20 for g in range(30)]) for i in range(40)]
    embed = fmt.recommendations_embed(recs(many, reason=LONG * 5), genre=LONG, decade=2000)
    assert_embed_within_limits(embed)
    assert embed.fields  # trimmed, not emptied


def picks(mode: str, n_signals: int, blend: float) -> Recommendations:
    """What /my_stats asks the service for: one pick, saying how personal the picks are."""
    return Recommendations(42, mode, [], n_signals, blend, 5)


def _profile(n: int, blend_weight: float):
    community = CommunityStats(mean=3.5, std=1.0, n_genres=10)
    rated = [
        RatedFilm(i, s, ("Drama",) if s >= 4 else ("Horror",), ("Mann",), ("Pacino",), 1990 + i)
        for i, s in enumerate([5, 4.5, 4, 2, 1.5, 5][:n])
    ]
    profile = analyse(42, rated, community)
    profile.blend_weight = blend_weight
    return profile


def test_profile_embed():
    embed = fmt.profile_embed(_profile(6, 0.7), picks("personal", 6, 0.7), name="Alice")
    assert embed.title == "Alice's taste"
    assert "6 ratings or reactions — enough for personal picks" in embed.description
    assert "Average 3.67★ over 6 ratings" in embed.description
    assert "70% your taste, 30% what is popular" in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Favourite genres"].startswith("Drama")
    assert "Horror" not in fields["Favourite genres"]
    assert_embed_within_limits(embed)


def test_profile_below_threshold_shows_no_personal_weight():
    """Issue 16, item 10: below the threshold the picks use no personal weight, so none is shown,
    although the stored (prior) weight is 0.2."""
    few = fmt.profile_embed(_profile(2, 0.2), picks("base", 2, 0.0))
    assert few.title == "Your taste"
    assert "not yet, popular picks only: 3 more ratings or reactions needed" in few.description
    assert "20%" not in few.description and "your taste," not in few.description
    one_short = fmt.profile_embed(_profile(4, 0.2), picks("base", 4, 0.0))
    assert "1 more rating or reaction needed" in one_short.description  # not "1 more rating(s)"
    # enough signals but picks still popular (nothing to lean on): no weight either
    flat = fmt.profile_embed(_profile(6, 0.2), picks("base", 6, 0.0))
    assert "20%" not in flat.description and "not yet, popular picks only" in flat.description


def test_profile_counts_reactions_towards_the_threshold():
    """Two ratings and three reactions make personal picks: the profile says so and shows the
    weight the picks use, while the average is over the two ratings."""
    embed = fmt.profile_embed(_profile(2, 0.35), picks("personal", 5, 0.35))
    assert "5 ratings or reactions — enough for personal picks" in embed.description
    assert "Average 4.75★ over 2 ratings" in embed.description
    assert "35% your taste, 65% what is popular" in embed.description


def test_counts_are_pluralised():
    """Issue 16, item 10: no "1 ratings", "1 stars", "1 films"."""
    assert fmt.plural(1, "film") == "1 film" and fmt.plural(0, "film") == "0 films"
    assert fmt.plural(1200, "rating") == "1,200 ratings"
    assert fmt.progress_text(1, 5) == "1 rating or reaction — 5 needed for personal picks (4 to go)"
    assert fmt.star_choice_name(1) == "★ 1 star" and fmt.star_choice_name(0.5).endswith("0.5 stars")
    assert "rated or reacted to 1 film;" in fmt.too_few_ratings_text(1, 5)
    assert "You rated 1 film this round" in fmt.quick_done_embed(1, 5, 1, out_of_films=False).description
    status = Status(1, 1, 1, 1, 0, [], "enc1-d256", "postgresql://x@/db", {})
    values = " ".join(f.value for f in fmt.status_embed(status).fields)
    assert "1 film" in values and "1 films" not in values
    assert "1 rating · 1 reaction" in values
    one = fmt.profile_embed(_profile(1, 0.2), picks("base", 1, 0.0))
    assert "over 1 rating " in one.description and "1 ratings" not in one.description
    assert fmt._features([FeatureScore("Drama", 1, 4.5, 1.0)]) == "Drama — 4.5★ over 1 film"
    for text in (one.description, fmt.progress_text(1, 5), fmt.too_few_ratings_text(1, 5)):
        assert "(s)" not in text and "1 ratings" not in text


def test_recommendations_embed_counts_reactions_since_made():
    """Reactions to the picks count towards personal picks: the embed's progress follows them."""
    base = recs([film(1)], mode="base", n_ratings=3)
    embed = fmt.recommendations_embed(base, n_signals=4)
    assert "4 ratings or reactions — 5 needed for personal picks (1 to go)" in embed.description
    assert "rated or reacted to 4 films; personal picks need 5" in embed.description
    enough = fmt.recommendations_embed(base, n_signals=5)
    assert "run **/my_recommendations** again for personal picks" in enough.description


def test_status_and_quick_card_embeds():
    status = Status(400, 60, 1800, 12, 55, ["enc1-d256"], "enc1-d256", "postgresql://x@/db", {"vectors": 3})
    embed = fmt.status_embed(status)
    values = " ".join(f.value for f in embed.fields)
    assert "400 films" in values and "55 personalised" in values and "enc1-d256" in values
    assert_embed_within_limits(embed)
    card = fmt.quick_card_embed(film(1, LONG), 3, 5, rated_now=2, last="Heat: ★★★★ 4")
    assert card.title.endswith("(1995)") and "3 ratings or reactions — 5 needed" in card.footer.text
    assert "Directed by Michael Mann" in card.description
    assert_embed_within_limits(card)
    assert_embed_within_limits(fmt.similar_embed(film(1), [(film(i, LONG), 0.5) for i in range(50)]))


def test_view_components_within_limits():
    """Buttons and menus built from absurd titles still fit Discord's component limits."""
    from bot.views import QuickRateView, RecommendationsView

    async def build():
        many = [film(i, LONG, 2001) for i in range(1, 30)]
        return (
            RecommendationsView(None, 1, recs(many, mode="base", n_ratings=1)),
            QuickRateView(None, 1, many[:3], n_signals=0, min_ratings=5),
        )

    for view in asyncio.run(build()):
        rows = view.to_components()
        assert len(rows) <= limits.ROWS
        for row in rows:
            assert len(row["components"]) <= limits.ITEMS_PER_ROW
            for c in row["components"]:
                assert len(c["custom_id"]) <= limits.CUSTOM_ID
                assert len(c.get("label", "")) <= limits.BUTTON_LABEL
                assert len(c.get("placeholder", "")) <= limits.SELECT_PLACEHOLDER
                assert len(c.get("options", [])) <= limits.SELECT_OPTIONS
                for o in c.get("options", []):
                    assert len(o["label"]) <= limits.SELECT_OPTION_LABEL
                    assert len(o.get("description", "")) <= limits.SELECT_OPTION_DESCRIPTION
