"""DELETE /users/{user_id}/ratings/{film_id}: the key rules of every write route."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from api_helpers import READ, WRITE  # noqa: E402


def test_unrate_over_http_needs_the_write_key_and_a_refusal_removes_nothing(client, demo_service, rated):
    user, before, _ = rated
    film = next(iter(before))
    url = f"/users/{user}/ratings/{film}"
    no_key = client.delete(url)
    assert no_key.status_code == 401 and no_key.json()["error"] == "unauthorized"
    wrong = client.delete(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    read_only = client.delete(url, headers=READ)
    assert read_only.status_code == 403 and read_only.json()["error"] == "forbidden"
    assert demo_service.history(user)[0] == before
    done = client.delete(url, headers=WRITE)
    assert done.status_code == 200 and done.json()["stars"] == before[film]
    assert demo_service.history(user)[0] == {f: s for f, s in before.items() if f != film}


def test_unrating_a_film_never_rated_is_404_and_says_so(client, rated):
    user, _, unrated = rated
    r = client.delete(f"/users/{user}/ratings/{unrated}", headers=WRITE)
    assert r.status_code == 404
    assert r.json()["error"] == "unknown_rating" and f"has not rated film {unrated}" in r.json()["message"]
