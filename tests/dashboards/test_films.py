"""Films page: fans, neighbours and nearest users are the service's own answers."""

import pytest

from personalization.config import Settings
from personalization.service import Service


@pytest.fixture
def svc(demo_db_url, tmp_path):
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        yield svc


def table(at, column):
    """The first table on the page with this column (AppTest does not expose a table's key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_films_page_shows_fans_neighbours_and_nearest_users(demo_app, svc):
    at = demo_app("films")
    film = next(f for f in svc.catalogue().films[3:] if svc.film_fans(f.id))
    at.text_input(key="film_query").set_value(film.title).run()
    at.selectbox(key=f"film:{film.title}").set_value(film).run()
    assert at.selectbox(key=f"film:{film.title}").value.id == film.id
    assert at.subheader[0].value == film.label
    fans = table(at, "stars")
    assert fans["user_id"].tolist() == [f["user_id"] for f in svc.film_fans(film.id, 50)]
    assert (fans["stars"] >= 4).all()
    similar = table(at, "film_id")
    assert similar["film_id"].tolist() == [f.id for f, _ in svc.similar_films(film.id, 10)]
    nearest = next(d.value for d in at.dataframe if {"user", "similarity"} <= set(d.value.columns))
    assert nearest["user_id"].tolist() == [u for u, _ in svc.nearest_users(film.id, 10)]
    assert len(at.get("vega_lite_chart")) == 2
    at.slider(key="film_k").set_value(5).run()
    assert len(table(at, "film_id")) == 5


def test_a_search_without_matches_says_so(demo_app):
    at = demo_app("films")
    at.text_input(key="film_query").set_value("no such film zzz").run()
    assert any("No film title" in i.value for i in at.info)


def test_films_page_on_an_empty_database_says_so(empty_app):
    at = empty_app("films")
    assert any("No films" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_films_tables_name_every_user_and_show_no_empty_column(demo_app, svc):
    film = next(f for f in svc.catalogue().films[3:] if svc.film_fans(f.id))
    at = demo_app("films")
    at.text_input(key="film_query").set_value(film.title).run()
    at.selectbox(key=f"film:{film.title}").set_value(film).run()
    tables = [d.value for d in at.dataframe]
    assert len(tables) == 3
    for frame in tables:
        for column in frame.columns:
            assert not (frame[column].astype(str).str.strip() == "").all(), f"empty column {column!r}"
    fans, nearest = tables[0], tables[2]
    assert fans["user"].tolist() == [f"user {u}" for u in fans["user_id"]]  # the demo users have no names
    assert nearest["user"].tolist() == [f"user {u}" for u in nearest["user_id"]]
