"""GET /users/{id}/explanations/{film}: the breakdown of ``cinesync explain --json`` over HTTP."""

from __future__ import annotations

from api_helpers import READ


def test_a_pick_is_explained_with_the_reasons_recommend_shows(client, rated):
    user, ratings, _ = rated
    recs = client.get(f"/users/{user}/recommendations", params={"k": 1}, headers=READ).json()
    pick = recs["items"][0]
    r = client.get(f"/users/{user}/explanations/{pick['film']['id']}", headers=READ)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == user and body["film"]["id"] == pick["film"]["id"] and body["rank"] == 1
    assert abs(body["score"] - sum(t["part"] for t in body["terms"])) < 1e-9
    assert 1 <= len(body["reasons"]) <= 3 and body["history"]
    assert all(h["film_id"] in ratings or h["stars"] is None for h in body["history"])


def test_unknown_user_or_film_is_404_and_a_rated_film_is_422(client, rated):
    user, ratings, unrated = rated
    r = client.get(f"/users/987654321/explanations/{unrated}", headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "unknown_user"
    r = client.get(f"/users/{user}/explanations/99999999", headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "unknown_film"
    r = client.get(f"/users/{user}/explanations/{next(iter(ratings))}", headers=READ)
    assert r.status_code == 422 and "already rated" in r.json()["message"]
    assert client.get(f"/users/{user}/explanations/{unrated}").status_code == 401  # no key
