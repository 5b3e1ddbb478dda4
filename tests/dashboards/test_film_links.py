"""Films page: a film imported with an IMDb or TMDb id links to its pages there."""

from personalization.config import Settings
from personalization.core.catalogue import Film
from personalization.service import Service


def test_a_linked_film_shows_its_imdb_and_tmdb_links(demo_app, demo_db_url, tmp_path):
    film = Film(9_000_002, "Linked Picture", 1999, ("Drama",), metadata={"imdb_id": "tt9000002", "tmdb_id": "88"})
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        svc.import_films([film])
        svc.store_external_ids([film])
    at = demo_app("films")
    at.text_input(key="film_query").set_value("Linked Picture").run()
    texts = [m.value for m in at.markdown]
    assert (
        "**Links** [IMDb](https://www.imdb.com/title/tt9000002/) · [TMDb](https://www.themoviedb.org/movie/88)" in texts
    )
    at.text_input(key="film_query").set_value("").run()  # a demo film has no ids: no Links line
    assert not any(t.startswith("**Links**") for t in (m.value for m in at.markdown))
