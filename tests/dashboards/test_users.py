"""User explorer: the profile, picks and taste history shown are the service's own answers."""

import pytest

from personalization.config import Settings
from personalization.service import Service


@pytest.fixture
def expected(demo_db_url, tmp_path):
    """What the service says about the user the page opens on (the one with most ratings)."""
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        user = svc.users("", 1)[0]
        yield svc, user


def test_user_explorer_shows_profile_picks_and_history(demo_app, expected):
    svc, user = expected
    at = demo_app("users")
    assert at.title[0].value == "User explorer"
    assert at.selectbox(key="user").value["id"] == user["id"]
    assert next(m for m in at.metric if m.label == "Ratings").value == str(user["n_ratings"])
    profile = svc.profile(user["id"])
    table = at.dataframe[0].value  # favourite genres
    assert table["name"].tolist() == [f.name for f in profile.genres]
    assert table["significance"].tolist() == pytest.approx([f.significance for f in profile.genres])
    recs = svc.recommend(user["id"], 10)
    picks = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert picks["film_id"].tolist() == [r.film.id for r in recs.items]
    assert picks["score"].tolist() == pytest.approx(picks["personal_part"] + picks["base_part"])
    assert len(at.get("vega_lite_chart")) >= 4  # features, style, picks, trajectory


def test_searching_by_name_and_changing_the_list_length(demo_app, expected):
    svc, user = expected
    at = demo_app("users")
    other = svc.users("", 5)[-1]
    at.text_input(key="user_query").set_value(str(other["id"])).run()
    assert at.selectbox(key="user").value["id"] == other["id"]
    at.slider(key="k").set_value(5).run()
    picks = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert len(picks) == 5


def test_rating_as_the_user_changes_their_picks(demo_app, expected):
    svc, user = expected
    at = demo_app("users")
    before = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    top = before["film"].iloc[0]
    title = top.rsplit(" (", 1)[0]
    at.text_input(key="try_query").set_value(title).run()
    film = at.selectbox(key=f"try_film:{title}").value
    at.select_slider(key="try_stars").set_value(0.5)
    at.button(key="try_rate").click().run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Ratings").value == str(user["n_ratings"] + 1)
    after = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert film.id not in after["film_id"].tolist()   # rated films are never recommended
    assert svc.history(user["id"])[0][film.id] == 0.5
    assert "Rated" in at.success[0].value


def test_user_explorer_on_an_empty_database_says_so(empty_app):
    at = empty_app("users")
    assert any("No users yet" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
