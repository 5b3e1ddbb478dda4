"""Every route of the HTTP API, and every error it answers, against the real demo database."""

from __future__ import annotations

import pytest
from api_helpers import READ, WRITE, counts

from personalization.api import ApiSettings
from personalization.config import ConfigError


# -- access --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers, status, message",
    [
        ({}, 401, "no API key sent"),
        ({"Authorization": "Bearer not-the-key"}, 401, "wrong API key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "no API key sent"),
    ],
)
def test_a_missing_or_wrong_key_is_refused_with_a_json_401(client, headers, status, message):
    r = client.get("/films", headers=headers)
    assert r.status_code == status
    assert r.json()["error"] == "unauthorized" and message in r.json()["message"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_the_read_key_reads_but_may_not_write_and_a_refused_write_stores_nothing(client, demo_service, rated):
    user, _, film = rated
    assert client.get(f"/users/{user}/recommendations", headers=READ).status_code == 200
    before = counts(demo_service)
    writes = [
        ("PUT", f"/users/{user}/ratings/{film}", {"stars": 4}),
        ("POST", f"/users/{user}/feedback", {"film_id": film, "kind": "love"}),
        ("DELETE", f"/users/{user}", None),
        ("POST", "/ratings:batch", {"ratings": [{"user_id": user, "film_id": film, "stars": 4, "at": 1e9}]}),
    ]
    for method, url, body in writes:
        r = client.request(method, url, json=body, headers=READ)
        assert r.status_code == 403, (method, url)
        assert r.json() == {"error": "forbidden", "message": "this key may only read: writes need CINESYNC_API_KEY"}
        r = client.request(method, url, json=body)
        assert r.status_code == 401
    assert counts(demo_service) == before


def test_health_and_the_schema_need_no_key(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    schema = client.get("/openapi.json").json()
    assert "/ratings:batch" in schema["paths"] and "/users/{user_id}/recommendations" in schema["paths"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "swagger" in client.get("/docs").text.lower()


def test_the_app_refuses_to_exist_without_a_key_unless_open():
    with pytest.raises(ConfigError, match="CINESYNC_API_KEY"):
        ApiSettings.from_env({})
    with pytest.raises(ConfigError, match="differ"):
        ApiSettings(api_key="same-key-123", read_key="same-key-123")
    with pytest.raises(ConfigError, match="8 characters"):
        ApiSettings(api_key="short")
    assert ApiSettings.from_env({}, open_access=True).scope_of(None) == "write"


def test_an_open_api_serves_without_a_key(demo_service):
    from fastapi.testclient import TestClient

    from personalization.api import create_app

    with TestClient(create_app(demo_service, ApiSettings(open_access=True))) as c:
        assert c.get("/films", params={"query": "a"}).status_code == 200


# -- users ---------------------------------------------------------------------------------------
def test_rate_then_rerate_a_film(client, demo_service, rated):
    user, before, film = rated
    r = client.put(f"/users/{user}/ratings/{film}", json={"stars": 4.5}, headers=WRITE)
    assert r.status_code == 200
    body = r.json()
    assert body["user_id"] == user and body["film_id"] == film and body["stars"] == 4.5
    assert body["replaced"] is False and body["n_ratings"] == len(before) + 1
    r = client.put(f"/users/{user}/ratings/{film}", json={"stars": 2, "at": 1_700_000_000}, headers=WRITE)
    assert r.json()["replaced"] is True
    assert demo_service.history(user)[0][film] == 2.0


@pytest.mark.parametrize(
    "body, where",
    [
        ({"stars": 3.3}, "half steps"),
        ({"stars": 7}, "less than or equal to 5"),
        ({"stars": "four"}, "stars"),
        ({"stars": True}, "stars: Input should be a valid number"),  # was stored as 1 star
        ({"stars": "4"}, "stars: Input should be a valid number"),  # no coercion of strings either
        ({}, "stars: Field required"),
        ({"stars": 4, "at": -5}, "at:"),
        ({"stars": 4, "mood": "happy"}, "mood: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_rating_is_a_422_that_says_what_to_fix_and_stores_nothing(client, demo_service, rated, body, where):
    user, _, film = rated
    before = counts(demo_service)
    r = client.put(f"/users/{user}/ratings/{film}", json=body, headers=WRITE)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request" and where in r.json()["message"]
    assert counts(demo_service) == before


def test_malformed_json_is_a_422(client, rated):
    user, _, film = rated
    r = client.put(
        f"/users/{user}/ratings/{film}", content=b"{stars: 4", headers={**WRITE, "content-type": "application/json"}
    )
    assert r.status_code == 422 and "JSON" in r.json()["message"]


def test_rating_an_unknown_film_is_a_404_and_stores_nothing(client, demo_service, rated):
    user = rated[0]
    before = counts(demo_service)
    r = client.put(f"/users/{user}/ratings/999999", json={"stars": 4}, headers=WRITE)
    assert r.status_code == 404 and r.json()["error"] == "unknown_film"
    assert "import the catalogue" in r.json()["message"]
    assert counts(demo_service) == before


@pytest.mark.parametrize(
    "url",
    [
        "/users/-1/ratings/1",
        "/users/abc/ratings/1",
        f"/users/{2**63}/ratings/1",
        "/users/1/ratings/-3",
        f"/users/1/ratings/{2**31}",
    ],
)
def test_ids_out_of_range_are_422(client, url):
    r = client.put(url, json={"stars": 4}, headers=WRITE)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_unrating_removes_the_rating_and_a_second_time_is_404(client, demo_service, rated):
    user, before, _ = rated
    film = next(iter(before))
    r = client.delete(f"/users/{user}/ratings/{film}", headers=WRITE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["user_id"], body["film_id"], body["stars"]) == (user, film, before[film])
    assert body["n_ratings"] == len(before) - 1
    assert film not in demo_service.history(user)[0]
    again = client.delete(f"/users/{user}/ratings/{film}", headers=WRITE)
    assert again.status_code == 404 and again.json()["error"] == "unknown_rating"


def test_feedback(client, demo_service, rated):
    user, _, film = rated
    r = client.post(
        f"/users/{user}/feedback",
        json={"film_id": film, "kind": "not_interested", "context": {"source": "api-test"}},
        headers=WRITE,
    )
    assert r.status_code == 200
    assert r.json()["kind"] == "not_interested" and r.json()["film_id"] == film
    picks = client.get(f"/users/{user}/recommendations", params={"k": 100}, headers=READ).json()
    assert film not in [p["film"]["id"] for p in picks["items"]]


@pytest.mark.parametrize(
    "body, status, where",
    [
        ({"film_id": 1, "kind": "meh"}, 422, "kind: Input should be"),
        ({"kind": "love"}, 422, "film_id: Field required"),
        ({"film_id": 1, "kind": "love", "context": {"x": "a\u0000b"}}, 422, "NUL"),
        ({"film_id": 1, "kind": "love", "context": {"x": "y" * 5000}}, 422, "bytes"),
        ({"film_id": 999999, "kind": "love"}, 404, "unknown film"),
    ],
)
def test_invalid_feedback_is_refused_and_stores_nothing(client, demo_service, rated, body, status, where):
    before = counts(demo_service)
    r = client.post(f"/users/{rated[0]}/feedback", json=body, headers=WRITE)
    assert r.status_code == status and where in r.json()["message"]
    assert counts(demo_service) == before


def test_recommendations_carry_score_parts_and_reasons(client, rated):
    user = rated[0]
    r = client.get(f"/users/{user}/recommendations", params={"k": 5}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert body["user_id"] == user and body["mode"] in ("personal", "base") and len(body["items"]) == 5
    first = body["items"][0]
    assert {"film", "score", "personal", "base", "base_model", "reason"} <= set(first)
    assert {"id", "title", "genres"} <= set(first["film"])


def test_recommendations_filter_by_genre_and_decade(client, demo_service, rated):
    film = demo_service.catalogue().films[0]
    genre, decade = film.genres[0], film.year // 10 * 10
    body = client.get(
        f"/users/{rated[0]}/recommendations", params={"genre": genre, "decade": decade, "k": 50}, headers=READ
    ).json()
    assert body["items"]
    assert all(genre in p["film"]["genres"] and p["film"]["year"] // 10 * 10 == decade for p in body["items"])


@pytest.mark.parametrize(
    "params, where",
    [
        ({"k": 0}, "k:"),
        ({"k": 101}, "k:"),
        ({"k": "ten"}, "k:"),
        ({"decade": 12}, "decade:"),
        ({"genre": ""}, "genre:"),
        ({"genre": "a\u0000"}, "NUL"),
    ],
)
def test_invalid_recommendation_options_are_422(client, params, where):
    r = client.get("/users/1/recommendations", params=params, headers=READ)
    assert r.status_code == 422 and where in r.json()["message"]


def test_an_unknown_user_gets_the_cold_start_order(client):
    body = client.get("/users/123456789012345678/recommendations", headers=READ).json()
    assert body["mode"] == "base" and body["n_ratings"] == 0 and body["items"]


def test_profile(client, rated):
    user, before, _ = rated
    body = client.get(f"/users/{user}/profile", headers=READ).json()
    assert body["user_id"] == user and body["n_ratings"] == len(before)
    assert body["genres"] and {"name", "n", "mean", "significance"} <= set(body["genres"][0])


@pytest.mark.parametrize("route", ["profile", "data"])
def test_profile_and_data_of_an_unknown_user_are_404(client, route):
    r = client.get(f"/users/424242424242/{route}", headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "unknown_user"
    assert "rate a film first" in r.json()["message"]


def test_data_lists_everything_stored(client, rated):
    user, before, film = rated
    client.post(f"/users/{user}/feedback", json={"film_id": film, "kind": "love"}, headers=WRITE)
    body = client.get(f"/users/{user}/data", headers=READ).json()
    tables = body["tables"]
    assert {r["movie_id"]: r["stars"] for r in tables["ratings"]} == before
    assert [(r["movie_id"], r["kind"]) for r in tables["feedback"]] == [(film, "love")]
    assert tables["users"][0]["id"] == user and len(tables["user_embeddings"][0]["embedding"]) > 0
    assert body["user_id"] == user and body["complete"] is True


def test_forget_deletes_everything_about_the_user(client, demo_service, rated):
    user = rated[0]
    r = client.delete(f"/users/{user}", headers=WRITE)
    assert r.status_code == 200 and r.json()["user_id"] == user and r.json()["deleted_rows"] > 0
    assert client.get(f"/users/{user}/profile", headers=READ).status_code == 404
    assert client.delete(f"/users/{user}", headers=WRITE).json()["deleted_rows"] == 0


# -- films ---------------------------------------------------------------------------------------
def test_search_films(client, demo_service):
    title = demo_service.catalogue().films[3].title
    body = client.get("/films", params={"query": title, "limit": 5}, headers=READ).json()
    assert body["query"] == title and body["items"][0]["title"] == title
    assert len(client.get("/films", params={"limit": 3}, headers=READ).json()["items"]) == 3
    assert client.get("/films", params={"query": "%_\\"}, headers=READ).json()["items"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"query": "x" * 201}, {"query": "a\u0000"}])
def test_invalid_search_is_422(client, params):
    assert client.get("/films", params=params, headers=READ).status_code == 422


def test_one_film_and_its_neighbours(client, demo_service):
    film = demo_service.catalogue().films[0]
    body = client.get(f"/films/{film.id}", headers=READ).json()
    assert body["id"] == film.id and body["title"] == film.title and "metadata" in body
    similar = client.get(f"/films/{film.id}/similar", params={"k": 4}, headers=READ).json()
    assert similar["film_id"] == film.id and len(similar["items"]) == 4
    sims = [s["similarity"] for s in similar["items"]]
    assert sims == sorted(sims, reverse=True) and film.id not in [s["film"]["id"] for s in similar["items"]]


@pytest.mark.parametrize("url", ["/films/999999", "/films/999999/similar"])
def test_an_unknown_film_is_404(client, url):
    r = client.get(url, headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "unknown_film"


# -- bulk ----------------------------------------------------------------------------------------
def test_a_batch_is_applied_once_and_resending_it_changes_nothing(client, demo_service):
    films = [f.id for f in demo_service.catalogue().films[:3]]
    rows = [
        {"user_id": 9_000_000 + i, "film_id": f, "stars": 4.0, "at": 1_600_000_000 + i} for i, f in enumerate(films)
    ]
    before = counts(demo_service)
    first = client.post("/ratings:batch", json={"ratings": rows}, headers=WRITE)
    assert first.status_code == 200
    assert first.json() == {"received": 3, "applied": 3, "unchanged": 0, "skipped_older": 0}
    again = client.post("/ratings:batch", json={"ratings": rows}, headers=WRITE).json()
    assert again == {"received": 3, "applied": 0, "unchanged": 3, "skipped_older": 0}
    users, ratings, feedback = counts(demo_service)
    assert (users, ratings, feedback) == (before[0] + 3, before[1] + 3, before[2])


def test_a_batch_with_bad_rows_reports_each_and_writes_nothing(client, demo_service):
    good = demo_service.catalogue().films[0].id
    rows = [
        {"user_id": 9_100_000, "film_id": good, "stars": 4.0, "at": 1_600_000_000},
        {"user_id": 9_100_001, "film_id": 999999, "stars": 4.0, "at": 1_600_000_000},
        {"user_id": 9_100_002, "film_id": good, "stars": 4.2, "at": 1_600_000_000},
        {"user_id": 9_100_003, "film_id": good, "stars": 4.0, "at": 1_600_000_000_000},
        {"user_id": -1, "film_id": good, "stars": 4.0, "at": 1_600_000_000},
    ]
    before = counts(demo_service)
    r = client.post("/ratings:batch", json={"ratings": rows}, headers=WRITE)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_rows" and "nothing was written" in body["message"]
    assert [e["row"] for e in body["rows"]] == [1, 2, 3, 4]
    assert "unknown film" in body["rows"][0]["message"] and "half steps" in body["rows"][1]["message"]
    assert "milliseconds" in body["rows"][2]["message"] and "user id" in body["rows"][3]["message"]
    assert counts(demo_service) == before


@pytest.mark.parametrize(
    "body, where",
    [
        ({"ratings": []}, "ratings:"),
        ({}, "ratings: Field required"),
        ({"ratings": [{"user_id": 1, "film_id": 1, "stars": 4}]}, "at: Field required"),
    ],
)
def test_a_malformed_batch_is_422(client, body, where):
    r = client.post("/ratings:batch", json=body, headers=WRITE)
    assert r.status_code == 422 and where in r.json()["message"]


# -- operations ----------------------------------------------------------------------------------
def test_status_and_metrics(client, demo_service, rated):
    status = client.get("/status", headers=READ).json()
    assert status["films"] == demo_service.status().films
    client.get(f"/users/{rated[0]}/recommendations", headers=READ)
    text = client.get("/metrics", headers=READ).text
    assert (
        'cinesync_http_requests_total{method="GET",route="/users/{user_id}/recommendations",status="200"} 1.0' in text
    )
    assert "cinesync_http_request_duration_seconds_bucket" in text
    assert client.get("/metrics").status_code == 401


def test_unknown_routes_and_methods_answer_json(client):
    r = client.get("/nope", headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.patch("/films", headers=READ)
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_a_database_outage_is_a_503_not_a_crash(empty_client, service):
    service.db.pool.close()
    assert empty_client.get("/healthz").status_code == 503
    r = empty_client.get("/users/1/profile", headers=READ)
    assert r.status_code == 503 and r.json()["error"] == "database_unavailable"


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("POST", "/ratings:batch", {"ratings": [{"user_id": True, "film_id": 1, "stars": 5, "at": 1_600_000_000}]}),
        ("POST", "/ratings:batch", {"ratings": [{"user_id": 9100, "film_id": True, "stars": 5, "at": 1_600_000_000}]}),
        ("POST", "/users/9100/feedback", {"film_id": True, "kind": "like"}),
        ("POST", "/users/9100/feedback", {"film_id": "3", "kind": "like"}),
    ],
)
def test_a_boolean_or_a_string_is_not_an_id(client, demo_service, method, url, body):
    """JSON ``true`` was read as 1: a batch row became a rating by user 1 of film 1."""
    before = counts(demo_service)
    r = client.request(method, url, json=body, headers=WRITE)
    assert r.status_code == 422 and "valid integer" in r.json()["message"]
    assert counts(demo_service) == before


@pytest.mark.parametrize("raw", ['{"stars": NaN}', '{"stars": Infinity}', '{"stars": 4, "at": NaN}'])
def test_a_non_finite_number_is_called_one(client, demo_service, rated, raw):
    """NaN stars were refused as "should be less than or equal to 5 (got nan)"."""
    user, _, film = rated
    before = counts(demo_service)
    headers = {**WRITE, "Content-Type": "application/json"}
    r = client.put(f"/users/{user}/ratings/{film}", content=raw, headers=headers)
    assert r.status_code == 422 and "Input should be a finite number" in r.json()["message"]
    assert counts(demo_service) == before
