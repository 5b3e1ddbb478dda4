"""GET /users/{id}/onboarding: a new member's first cards, genres first, unknown genres listed."""

from __future__ import annotations

from api_helpers import READ


def test_cards_for_a_new_member_then_after_a_rating(client, demo_service):
    r = client.get("/users/31337/onboarding", headers=READ, params={"n": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == 31337 and body["genres"] == [] and len(body["items"]) == 4
    first = body["items"][0]["id"]
    assert [f.id for f in demo_service.films_to_rate(31337, 4)] == [f["id"] for f in body["items"]]
    demo_service.rate(31337, first, 4.5)
    again = client.get("/users/31337/onboarding", headers=READ, params={"n": 4}).json()
    assert first not in {f["id"] for f in again["items"]}
    skipped = [f["id"] for f in again["items"][:2]]
    r = client.get("/users/31337/onboarding", headers=READ, params=[("exclude", skipped[0]), ("exclude", skipped[1])])
    assert r.status_code == 200 and not set(skipped) & {f["id"] for f in r.json()["items"]}


def test_genres_first_repeated_or_comma_separated(client):
    for params in ({"genres": "Horror,War", "n": 5}, [("genres", "Horror"), ("genres", "war"), ("n", "5")]):
        r = client.get("/users/8/onboarding", headers=READ, params=params)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert items and all({"Horror", "War"} & set(f["genres"]) for f in items)


def test_unknown_genre_and_bad_n_are_422(client):
    r = client.get("/users/8/onboarding", headers=READ, params={"genres": "Cooking"})
    assert r.status_code == 422
    assert "unknown genre 'Cooking'" in r.json()["message"] and "Drama" in r.json()["message"]
    assert client.get("/users/8/onboarding", headers=READ, params={"n": 0}).status_code == 422
    assert client.get("/users/8/onboarding").status_code == 401
