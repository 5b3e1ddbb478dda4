"""``/import_history`` with an export as the attachment, and films linking to IMDb and TMDb."""

from __future__ import annotations

import discord
import pytest
from discord_fakes import BOT_USER, FakeInteraction

from bot import formatting as fmt
from personalization.core.catalogue import Film

LETTERBOXD = "\ufeffDate,Name,Year,Letterboxd URI,Rating\r\n{rows}"


class FakeAttachment:
    """What the command reads of a ``discord.Attachment``."""

    def __init__(self, data: bytes, filename: str = "ratings.csv"):
        self.data, self.filename, self.size = data, filename, len(data)

    async def read(self) -> bytes:
        return self.data


def test_import_history_replies_privately_with_the_match_report(cogs, demo_service, run):
    films = [demo_service.film(7), demo_service.film(8)]
    rows = "".join(
        f'2020-01-0{i + 1},"{f.title}",{f.year or ""},https://boxd.it/x{i},4\r\n' for i, f in enumerate(films)
    )
    rows += "2020-02-01,A Film Nobody Has,1901,https://boxd.it/none,3\r\n"
    export = FakeAttachment(LETTERBOXD.format(rows=rows).encode())
    cog = cogs["History"]
    i = FakeInteraction(name="carol")
    run(cog.import_history_command.callback(cog, i, export=export))
    kind, kwargs = i.first
    assert kind == "defer" and kwargs["ephemeral"] is True
    text = i.last_sent["content"]
    assert i.last_sent["ephemeral"] is True
    assert "2 matched" in text and "1 not found" in text and "A Film Nobody Has (1901)" in text
    assert "2 ratings stored" in text and "2 ratings or reactions" in text
    assert demo_service.history(BOT_USER)[0] == {7: 4.0, 8: 4.0}
    assert demo_service.users(str(BOT_USER), 1)[0]["name"] == "carol"


def test_a_malformed_export_is_an_error_and_stores_nothing(cogs, demo_service, run):
    export = FakeAttachment(LETTERBOXD.format(rows="2020-01-01,Heat,1995,u,7\r\n").encode(), "mine.csv")
    cog = cogs["History"]
    with pytest.raises(Exception, match=r"mine\.csv:2: Rating must be 0\.5 to 5"):
        run(cog.import_history_command.callback(cog, FakeInteraction(), export=export))
    assert demo_service.history(BOT_USER)[0] == {}
    huge = FakeAttachment(b"")
    huge.size = 50_000_000
    with pytest.raises(Exception, match="a ratings export is a few MB"):
        run(cog.import_history_command.callback(cog, FakeInteraction(), export=huge))


def test_film_cards_and_picks_link_to_imdb_and_tmdb():
    film = Film(
        111161, "The Shawshank Redemption", 1994, ("Drama",), metadata={"imdb_id": "tt0111161", "tmdb_id": "278"}
    )
    links = "[IMDb](https://www.imdb.com/title/tt0111161/) · [TMDb](https://www.themoviedb.org/movie/278)"
    assert fmt.film_links(film) == links
    card = fmt.quick_card_embed(film, 0, 5)
    assert links in card.description and card.url == "https://www.imdb.com/title/tt0111161/"
    assert fmt.similar_embed(film, []).url == "https://www.imdb.com/title/tt0111161/"
    plain = Film(1, "No Links")
    assert fmt.film_links(plain) == "" and fmt.quick_card_embed(plain, 0, 5).url is None
    # free-form metadata never becomes a link unless it looks like an id
    assert fmt.film_links(Film(2, "X", metadata={"imdb_id": "javascript:alert(1)", "tmdb_id": "1) [x](y"})) == ""
    assert isinstance(card, discord.Embed)
