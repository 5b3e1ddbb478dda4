"""The service against a real PostgreSQL: atomic writes, exact re-rating, locking, faults."""

import json
import threading

import numpy as np
import psycopg
import pytest

from personalization.core.catalogue import Film
from personalization.errors import CineSyncError, InvalidFeedback, InvalidRating, UnknownFilm, UnknownUser
from personalization.service import Service
from personalization.storage.repository import Session


def rows(url, sql, *args):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def test_rating_is_committed_with_embedding_and_counters(service, small_catalogue, db_url):
    r = service.rate(42, 1, 4.5)
    assert r.n_ratings == 1 and not r.replaced and not r.personalised
    # Read back on another connection: the call returned after the commit.
    ((stars,),) = rows(db_url, "SELECT stars FROM ratings WHERE user_id = 42 AND movie_id = 1")
    ((emb, n),) = rows(db_url, "SELECT embedding, n_ratings FROM user_embeddings WHERE user_id = 42")
    assert stars == 4.5 and n == 1
    assert abs(np.linalg.norm(emb) - 1) < 1e-5
    expected = service.rule.step(service.rule.zero(), service.catalogue().vector(1), 0.75)
    assert np.allclose(emb, expected, atol=1e-6)


def test_rerating_replaces_and_matches_a_rebuild(service, small_catalogue, db_url):
    for film, stars in [(1, 5), (2, 2), (3, 4), (4, 1)]:
        service.rate(5, film, stars)
    r = service.rate(5, 2, 5)
    assert r.replaced and r.n_ratings == 4
    ((n,),) = rows(db_url, "SELECT count(*) FROM ratings WHERE user_id = 5")
    assert n == 4
    stored = service.user_vector(5)[0]
    cat = service.catalogue()
    # Same as a user who rated 1, 3, 4 and then 2 with 5 stars.
    expected = service.rule.rebuild(
        [(cat.vector(1), 1.0), (cat.vector(3), 0.5), (cat.vector(4), -1.0), (cat.vector(2), 1.0)]
    )
    assert np.allclose(stored, expected, atol=1e-6)
    assert np.allclose(service.rebuild_user(5), stored, atol=1e-6)


def test_one_star_pushes_away(service, small_catalogue):
    service.rate(6, 1, 5)
    before = service.user_vector(6)[0] @ service.catalogue().vector(5)
    service.rate(6, 5, 1)
    after = service.user_vector(6)[0] @ service.catalogue().vector(5)
    assert after < before


@pytest.mark.parametrize("stars", [0, 5.5, 3.2, "abc", float("nan")])
def test_bad_rating_is_refused_and_nothing_is_written(service, small_catalogue, db_url, stars):
    with pytest.raises(InvalidRating):
        service.rate(7, 1, stars)
    assert rows(db_url, "SELECT * FROM ratings") == []
    assert rows(db_url, "SELECT * FROM users") == []


def test_unknown_film_and_user(service, small_catalogue, db_url):
    with pytest.raises(UnknownFilm, match="unknown film 999"):
        service.rate(7, 999, 4)
    with pytest.raises(UnknownFilm):
        service.feedback(7, -3, "love")
    with pytest.raises(UnknownUser, match="rate a film first"):
        service.profile(12345)
    with pytest.raises(CineSyncError, match="whole number"):
        service.rate("bob", 1, 4)
    with pytest.raises(InvalidFeedback):
        service.feedback(7, 1, "meh")
    assert rows(db_url, "SELECT * FROM ratings") == rows(db_url, "SELECT * FROM feedback") == []
    # An unknown user is a cold start for recommendations, not an error.
    assert service.recommend(12345, 3).mode == "base"


def test_failure_inside_the_transaction_rolls_everything_back(service, small_catalogue, db_url, monkeypatch):
    service.rate(8, 1, 5)
    before = rows(db_url, "SELECT embedding, n_ratings FROM user_embeddings WHERE user_id = 8")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Session, "store_embedding", boom)
    with pytest.raises(RuntimeError):
        service.rate(8, 2, 4)
    assert rows(db_url, "SELECT movie_id FROM ratings WHERE user_id = 8") == [(1,)]
    assert rows(db_url, "SELECT embedding, n_ratings FROM user_embeddings WHERE user_id = 8") == before


def test_feedback_moves_the_embedding_and_not_interested_hides(service, small_catalogue):
    for film, stars in [(1, 5), (2, 4), (3, 5), (4, 4), (6, 5)]:
        service.rate(9, film, stars)
    before = service.user_vector(9)[0] @ service.catalogue().vector(7)
    service.feedback(9, 7, "hate", context={"source": "test"})
    assert service.user_vector(9)[0] @ service.catalogue().vector(7) < before
    service.feedback(9, 8, "not_interested")
    recs = service.recommend(9, 20)
    ids = {r.film.id for r in recs.items}
    assert recs.mode == "personal" and 8 not in ids and not ids & {1, 2, 3, 4, 6}


def test_threshold_and_explanations(service, small_catalogue):
    for i, film in enumerate([1, 5, 9, 2]):
        service.rate(10, film, 5 if i < 3 else 2)
        assert service.recommend(10, 3).mode == "base"
    service.rate(10, 12, 4)
    recs = service.recommend(10, 5)
    assert recs.mode == "personal" and recs.blend_weight == pytest.approx(service.model_settings.blend_weight)
    for r in recs.items:
        w = recs.blend_weight
        assert r.score == pytest.approx(w * r.personal + (1 - w) * r.base)
        assert "popularity" in r.base_model and r.reason
    scores = [r.score for r in recs.items]
    assert scores == sorted(scores, reverse=True)


def test_genre_and_decade_filters(service, small_catalogue):
    recs = service.recommend(11, 10, genre="horror")
    assert recs.items and all("Horror" in r.film.genres for r in recs.items)
    recs = service.recommend(11, 10, decade=1970)
    assert recs.items and all(1970 <= r.film.year < 1980 for r in recs.items)


def test_forget_leaves_no_row_behind(service, small_catalogue, db_url):
    for film in (1, 2, 3, 4, 5):
        service.rate(13, film, 4)
    service.feedback(13, 6, "love")
    service.profile(13)
    n = service.forget(13)
    assert n >= 5 + 1 + 1 + 1 + 1
    for table, col in [
        ("ratings", "user_id"),
        ("feedback", "user_id"),
        ("user_embeddings", "user_id"),
        ("user_preferences", "user_id"),
        ("user_model_weights", "user_id"),
        ("users", "id"),
    ]:
        assert rows(db_url, f"SELECT count(*) FROM {table} WHERE {col} = 13") == [(0,)]
    with pytest.raises(UnknownUser):
        service.profile(13)


def test_hostile_titles_round_trip(service):
    titles = [
        "Robert'); DROP TABLE movies;--",
        'She said "no"',
        "🎬🍿 Ünïcödé — 映画",
        "x" * 10_000,
        "100% _wild_ \\ back",
    ]
    service.import_films([Film(i + 1, t, 2000, ("Drama",)) for i, t in enumerate(titles)])
    assert [service.film(i + 1).title for i in range(len(titles))] == titles
    assert [f.id for f in service.search_films("100%")] == [5]
    assert service.search_films("_wild_")[0].id == 5
    assert service.search_films("%") == [service.film(5)]
    assert service.search_films("DROP TABLE")[0].id == 1
    assert service.status().films == 5


def test_nan_and_wrong_length_vectors_in_the_table_are_rebuilt(service, small_catalogue, db_url):
    for film, stars in [(1, 5), (2, 4), (3, 1), (4, 5), (5, 4)]:
        service.rate(14, film, stars)
    for extra, bad in [(6, "array_fill('NaN'::real, ARRAY[256])"), (7, "ARRAY[1, 2, 3]::real[]")]:
        good, n_good = service.user_vector(14)
        with psycopg.connect(db_url) as conn:
            conn.execute(f"UPDATE user_embeddings SET embedding = {bad} WHERE user_id = 14")
        service.vectors.clear()
        vec, n = service.user_vector(14)
        assert np.allclose(vec, good, atol=1e-6) and n == n_good
        assert service.recommend(14, 3).mode == "personal"
        # and a write on top of a corrupt row rebuilds too
        with psycopg.connect(db_url) as conn:
            conn.execute(f"UPDATE user_embeddings SET embedding = {bad} WHERE user_id = 14")
        service.rate(14, extra, 4)
        assert np.allclose(service.user_vector(14)[0], service.rebuild_user(14), atol=1e-6)


def test_a_model_version_change_rebuilds_vectors(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        user = svc.users("", 1)[0]["id"]
        old = svc.user_vector(user)[0]
    with Service.open(settings.with_model(learning_rate=0.3), url=demo_db_url, listen=False) as svc:
        new = svc.user_vector(user)[0]
        assert not np.allclose(old, new)
        assert (svc.engine.vector_version,) in rows(  # the settings and the published film vectors
            demo_db_url, "SELECT model_version FROM user_embeddings WHERE user_id = %s", user
        )


def test_two_writers_for_one_user_lose_nothing(db_url, settings, small_catalogue):
    """Two services (separate pools, as two processes would have) rate for one user at once."""
    a = Service.open(settings, url=db_url, listen=False)
    b = Service.open(settings, url=db_url, listen=False)
    errors = []

    def work(svc, films):
        try:
            for f in films:
                svc.rate(77, f, 4.5 if f % 2 else 2.0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(a, range(1, 13))),
        threading.Thread(target=work, args=(b, range(12, 0, -1))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.close()
    b.close()
    assert not errors
    ((n_rows,),) = rows(db_url, "SELECT count(*) FROM ratings WHERE user_id = 77")
    ((n_counter,),) = rows(db_url, "SELECT n_ratings FROM user_embeddings WHERE user_id = 77")
    assert n_rows == n_counter == 12
    with Service.open(settings, url=db_url, listen=False) as svc:
        stored = svc.user_vector(77)[0]
        assert np.allclose(stored, svc.rebuild_user(77), atol=1e-5)


def test_dropped_connection_is_replaced(service, small_catalogue, db_url):
    service.rate(15, 1, 4)
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'cinesync' AND pid <> pg_backend_pid()"
        )
    r = service.rate(15, 2, 5)  # the pool checks connections and replaces dead ones
    assert r.n_ratings == 2
    assert rows(db_url, "SELECT count(*) FROM ratings WHERE user_id = 15") == [(2,)]


def test_connection_dropped_mid_transaction_writes_nothing(service, small_catalogue, db_url, monkeypatch):
    service.rate(16, 1, 4)
    original = Session.store_embedding

    def kill_then_store(session, *args):
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (session.conn.info.backend_pid,))
        return original(session, *args)

    monkeypatch.setattr(Session, "store_embedding", kill_then_store)
    with pytest.raises(psycopg.OperationalError):
        service.rate(16, 2, 5)
    monkeypatch.undo()
    assert rows(db_url, "SELECT movie_id FROM ratings WHERE user_id = 16") == [(1,)]
    assert service.rate(16, 2, 5).n_ratings == 2  # and the service carries on


def test_other_processes_drop_their_cached_vector(db_url, settings, small_catalogue):
    import time

    with Service.open(settings, url=db_url) as a, Service.open(settings, url=db_url) as b:
        a.rate(17, 1, 5)
        first = b.user_vector(17)[0].copy()  # b caches it
        a.rate(17, 9, 1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and np.allclose(b.user_vector(17)[0], first):
            time.sleep(0.05)
        assert np.allclose(b.user_vector(17)[0], a.user_vector(17)[0])


def test_profile_is_stored(demo_service, demo_db_url):
    user = demo_service.users("", 1)[0]["id"]
    p = demo_service.profile(user)
    ((stored,),) = rows(demo_db_url, "SELECT profile FROM user_preferences WHERE user_id = %s", user)
    assert stored["n_ratings"] == p.n_ratings and stored["genres"][0]["name"] == p.genres[0].name
    assert json.loads(json.dumps(p.to_dict())) == stored


# -- issue 16.3: feedback acts ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["hate", "not_interested", "dislike", "love", "like"])
def test_a_film_with_feedback_is_never_recommended_again(demo_service, kind):
    user = demo_service.users(limit=1)[0]["id"]
    top = demo_service.recommend(user, 5).items[0].film.id
    demo_service.feedback(user, top, kind)
    assert top not in [r.film.id for r in demo_service.recommend(user, 50).items]
    assert top in demo_service.history(user)[1]


def test_a_new_member_who_loves_six_films_gets_personal_picks_without_them(demo_service):
    loved = [r.film.id for r in demo_service.recommend(777_000, 6).items]
    cold = [r.film.id for r in demo_service.recommend(777_001, 20).items]
    for film in loved:
        demo_service.feedback(777_000, film, "love")
    recs = demo_service.recommend(777_000, 20)
    assert recs.mode == "personal" and recs.n_ratings == 6
    picks = [r.film.id for r in recs.items]
    assert not set(picks) & set(loved)
    assert picks != [f for f in cold if f not in loved][:20]  # the loves changed the order


def test_feedback_counts_towards_the_threshold_with_ratings(service, small_catalogue):
    for film in (1, 2, 3):
        service.rate(8, film, 4)
    service.feedback(8, 4, "like")
    assert service.recommend(8).mode == "base"
    assert service.rate(8, 5, 5).personalised  # 4 ratings + 1 film with feedback = 5
    assert service.recommend(8).n_ratings == 5


# -- issue 16.7, 16.8, 16.10: clear refusals, honest reasons, sensible search order -------------
def test_an_unknown_genre_is_an_error_that_lists_the_known_ones(service, small_catalogue):
    with pytest.raises(CineSyncError, match="unknown genre 'Nope'.*Comedy, Drama, Horror, Sci-Fi"):
        service.recommend(11, 10, genre="Nope")
    assert service.recommend(11, 10, genre=" HORROR ").items  # any case, spaces trimmed


def test_a_decade_without_films_is_an_error_that_lists_the_decades(service, small_catalogue):
    with pytest.raises(CineSyncError, match="no film is from the 3000s.*1960s, 1970s, 1980s, 1990s, 2000s, 2010s"):
        service.recommend(11, 10, decade=3000)
    assert service.recommend(11, 10, decade=1975).items  # a year means its decade


@pytest.mark.parametrize("k", [0, -1, 101, 100_000, 2.5, "ten"])
def test_k_outside_1_to_100_is_refused_not_clamped(service, small_catalogue, k):
    with pytest.raises(CineSyncError, match="from 1 to 100"):
        service.recommend(11, k)


def test_k_at_the_bounds_is_accepted(service, small_catalogue):
    assert len(service.recommend(11, 1).items) == 1
    assert len(service.recommend(11, 100).items) == 12  # every film there is


def test_reasons_name_no_model_list_and_a_zero_score_claims_nothing(service, small_catalogue):
    recs = service.recommend(12345, 12)
    for r in recs.items:
        assert "+" not in r.reason and "rate well" not in r.reason and r.base_model not in r.reason
        if r.score == 0:
            assert "popular" not in r.reason
    assert any(r.score == 0 for r in recs.items)  # nobody rated anything: every film ties at 0


def test_search_ranks_whole_words_before_longer_words(service):
    titles = ["Stargate", "Star Wars", "Lone Star", "Star Wars: Episode V - The Empire Strikes Back", "Starman"]
    service.import_films([Film(i + 1, t, 1990, ("Sci-Fi",)) for i, t in enumerate(titles)])
    assert [f.title for f in service.search_films("star wars")][:2] == [
        "Star Wars",
        "Star Wars: Episode V - The Empire Strikes Back",
    ]
    assert [f.title for f in service.search_films("star")] == [
        "Star Wars",
        "Star Wars: Episode V - The Empire Strikes Back",
        "Lone Star",
        "Starman",
        "Stargate",
    ]
    assert [f.title for f in service.search_films("Stargate")] == ["Stargate"]


def test_only_the_storage_layer_executes_sql():
    from pathlib import Path

    import personalization.service as service_package

    for path in Path(service_package.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert ".execute(" not in text and "executemany(" not in text and "queries" not in text, path.name


def test_saved_model_settings_round_trip_flat_and_read_the_older_forms(service, settings, db_url):
    service.save_model_settings(weight_ease=0.5, ease_l2=321.0, learning_rate=0.2)
    stored = service.engine_setting("model_settings")
    assert stored["weight_ease"] == 0.5 and stored["ease_l2"] == 321.0 and "base_models" not in stored
    with Service.open(settings, url=db_url, listen=False) as other:
        assert other.model_settings.value("ease_l2") == 321.0 and other.model_settings.learning_rate == 0.2
    # a row written nested (base_models: {...}) and one naming a model that no longer exists
    service.set_engine_setting("model_settings", {"base_models": {"weight_ease": 0.25}, "weight_gone": 1.0})
    with Service.open(settings, url=db_url, listen=False) as other:
        assert other.model_settings.value("weight_ease") == 0.25


def test_hate_pushes_films_like_it_down_and_love_pulls_them_up(demo_service):
    """Found by a new user: hate fed to the collaborative models as 1 star acted like love."""
    start = [r.film.id for r in demo_service.recommend(880_000, 6).items]
    users = {"hate": 880_001, "love": 880_002, "not_interested": 880_003}
    for user in users.values():
        for film in start[1:]:
            demo_service.rate(user, film, 4)
    target = demo_service.recommend(880_001, 1).items[0].film.id
    for kind, user in users.items():
        demo_service.feedback(user, target, kind)
    cat = demo_service.catalogue()

    def closeness(user: int) -> float:
        picks = [r.film.id for r in demo_service.recommend(user, 10).items]
        return float(np.mean([cat.vector(f) @ cat.vector(target) for f in picks]))

    assert closeness(users["hate"]) < closeness(users["love"])
    # The collaborative part reads every film in a history as interest: a hated film must not be
    # in it, so the hater's base scores are those of a member who only hid the film.
    hated = {r.film.id: r.base for r in demo_service.recommend(users["hate"], 50).items}
    hidden = {r.film.id: r.base for r in demo_service.recommend(users["not_interested"], 100).items}
    assert all(abs(base - hidden[film]) < 1e-9 for film, base in hated.items() if film in hidden)
