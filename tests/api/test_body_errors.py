"""A body that is not JSON, or not sent as JSON, gets a 422 that says what to send; nothing is written."""

from __future__ import annotations

from api_helpers import WRITE, counts


def test_malformed_json_and_a_text_body_say_what_to_send(client, demo_service):
    before = counts(demo_service)
    user, film = 424_242, demo_service.catalogue().films[0].id
    url = f"/users/{user}/ratings/{film}"
    r = client.put(url, content=b'{"stars": 4', headers={**WRITE, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert "the body is not valid JSON (at character" in r.json()["message"], r.json()
    r = client.put(url, content=b'{"stars": 4}', headers={**WRITE, "Content-Type": "text/plain"})
    assert r.status_code == 422
    assert "Content-Type: application/json" in r.json()["message"], r.json()
    assert counts(demo_service) == before
