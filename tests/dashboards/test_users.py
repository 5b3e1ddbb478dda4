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


def test_what_if_shows_the_picks_without_storing_and_an_admin_saves_them(demo_app, expected):
    svc, user = expected
    at = demo_app("users")
    before = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    top = before["film"].iloc[0]
    title = top.rsplit(" (", 1)[0]
    at.text_input(key="try_query").set_value(title).run()
    film = at.selectbox(key=f"try_film:{title}").value
    at.select_slider(key="try_stars").set_value(0.5)
    at.button(key="try_what_if").click().run()
    assert not at.exception and not at.error
    # Nothing stored: the same ratings, and the page's own picks unchanged.
    assert film.id not in svc.history(user["id"])[1]
    assert next(m for m in at.metric if m.label == "Ratings").value == str(user["n_ratings"])
    imagined = [d.value for d in at.dataframe if "reason" in d.value.columns][-1]  # below the page's own picks
    assert film.id not in imagined["film_id"].tolist()  # a film rated (even in imagination) is never picked
    assert imagined["film_id"].tolist() == [
        r.film.id for r in svc.what_if(user["id"], {film.id: 0.5}, len(before)).items
    ]
    assert "Nothing was stored" in at.info[-1].value and top in at.info[-1].value  # dropped from the list
    # Saving needs the explicit confirmation.
    assert at.button(key="save_rating").disabled
    at.checkbox(key="confirm_save_rating").check().run()
    at.button(key="save_rating").click().run()
    assert not at.exception
    assert svc.history(user["id"])[0][film.id] == 0.5
    assert next(m for m in at.metric if m.label == "Ratings").value == str(user["n_ratings"] + 1)
    assert "Rated" in at.success[0].value


def test_user_explorer_on_an_empty_database_says_so(empty_app):
    at = empty_app("users")
    assert any("No users yet" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def label_metric(at, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def genres_to_follow(at) -> list[str]:
    return next(m for m in at.multiselect if m.label == "Genres to follow").value


def test_genres_to_follow_are_each_chosen_users_own_favourites(demo_app, expected):
    svc, first = expected
    favourites = {u["id"]: [g.name for g in svc.profile(u["id"]).genres[:5]] for u in svc.users("", 20)}
    other = next(u for u, genres in favourites.items() if genres and genres != favourites[first["id"]])
    at = demo_app("users")
    assert genres_to_follow(at) == favourites[first["id"]]
    at.text_input(key="user_query").set_value(str(other)).run()
    assert at.selectbox(key="user").value["id"] == other
    assert genres_to_follow(at) == favourites[other]


@pytest.fixture
def newcomer(expected):
    """A member with one rating: below the threshold for personal picks."""
    svc, _ = expected
    film = svc.catalogue().films[0]
    svc.rate(990001, film.id, 3.0)
    return 990001


def test_a_member_below_the_threshold_shows_the_personal_weight_their_picks_use(demo_app, expected, newcomer):
    svc, _ = expected
    recs = svc.recommend(newcomer, 10)
    assert recs.mode == "base" and recs.blend_weight == 0.0
    at = demo_app("users")
    at.text_input(key="user_query").set_value(str(newcomer)).run()
    assert label_metric(at, "Personal weight") == "0.00"
    # A member past the threshold shows the weight their picks are blended with.
    top = svc.users("", 1)[0]["id"]
    at.text_input(key="user_query").set_value(str(top)).run()
    assert label_metric(at, "Personal weight") == f"{svc.recommend(top, 10).blend_weight:.2f}"


def test_one_rating_and_one_star_are_singular(demo_app, expected, newcomer):
    svc, _ = expected
    at = demo_app("users")
    at.text_input(key="user_query").set_value(str(newcomer)).run()
    picker = at.selectbox(key="user")
    assert picker.format_func(picker.value).endswith("1 rating)")
    title = svc.catalogue().films[1].title
    at.text_input(key="try_query").set_value(title).run()
    at.select_slider(key="try_stars").set_value(1.0)
    at.button(key="try_what_if").click().run()
    assert "rated" in at.info[-1].value and " 1 star:" in at.info[-1].value, at.info[-1].value
    at.checkbox(key="confirm_save_rating").check().run()
    at.button(key="save_rating").click().run()
    assert not at.exception
    assert ": 1 star. " in at.success[0].value, at.success[0].value
