"""GET /groups/recommendations (watch parties) and GET /users/{id}/recommendations?mood=."""

from __future__ import annotations

from api_helpers import READ, counts

from personalization.core import moods


def two_members(demo_service) -> tuple[int, int]:
    first, second = (u["id"] for u in demo_service.users("", limit=2))
    return first, second


def test_group_recommendations(client, demo_service):
    a, b = two_members(demo_service)
    before = counts(demo_service)
    r = client.get("/groups/recommendations", params={"users": [a, b], "k": 4, "strategy": "approval"}, headers=READ)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_ids"] == [a, b] and body["strategy"] == "approval" and len(body["items"]) == 4
    seen = demo_service.history(a)[1] | demo_service.history(b)[1]
    for item in body["items"]:
        assert item["film"]["id"] not in seen
        assert set(item["likings"]) == {str(a), str(b)}
        assert all(0.5 <= s <= 5 for s in item["likings"].values())
        assert item["score"] == len(item["liked_by"])
    r = client.get("/groups/recommendations", params={"users": [a, b], "mood": "funny", "k": 3}, headers=READ)
    assert r.status_code == 200 and r.json()["mood"] == "funny" and r.json()["strategy"] == "least_misery"
    assert all("Comedy" in i["film"]["genres"] for i in r.json()["items"])
    assert counts(demo_service) == before  # reads only


def test_group_errors_are_clear(client, demo_service):
    a, b = two_members(demo_service)
    url = "/groups/recommendations"
    r = client.get(url, params={"users": [a, a]}, headers=READ)
    assert r.status_code == 422 and "at least 2 different members" in r.json()["message"]
    r = client.get(url, params={"users": [a, b], "strategy": "dictator"}, headers=READ)
    assert r.status_code == 422 and "average, least_misery, approval" in r.json()["message"]
    r = client.get(url, params={"users": [a, 987_654_321]}, headers=READ)
    assert r.status_code == 404 and r.json()["error"] == "unknown_user" and "987654321" in r.json()["message"]
    assert client.get(url, params={"users": [a, b]}).status_code == 401
    assert client.get(url, headers=READ).status_code == 422  # no members at all


def test_recommendations_in_a_mood(client, demo_service):
    user = two_members(demo_service)[0]
    r = client.get(f"/users/{user}/recommendations", params={"mood": "scary", "k": 5}, headers=READ)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 5 and all("Horror" in i["film"]["genres"] for i in items)
    r = client.get(f"/users/{user}/recommendations", params={"mood": "grumpy"}, headers=READ)
    assert r.status_code == 422 and ", ".join(moods.MOODS) in r.json()["message"]
