"""The HTTP profile carries the drift and the half-life it was weighted with (issue 14)."""

from __future__ import annotations

from api_helpers import READ

from personalization.core import preferences

DAY = 86_400.0


def test_profile_json_has_drift_and_half_life(client, rated, demo_service, monkeypatch):
    user, _, _ = rated
    body = client.get(f"/users/{user}/profile", headers=READ).json()
    assert "drift" in body and body["half_life_days"] == 0.0
    films = [preferences.RatedFilm(i, 5.0, ("Comedy",), at=i * DAY) for i in range(20)]
    films += [preferences.RatedFilm(100 + i, 5.0, ("Horror",), at=(50 + i) * DAY) for i in range(10)]
    timed = preferences.analyse(user, films, preferences.CommunityStats())
    monkeypatch.setattr(demo_service, "profile", lambda _user: timed)
    drift = client.get(f"/users/{user}/profile", headers=READ).json()["drift"]
    assert drift["status"] == "drifting" and drift["rising"] == ["Horror"] and drift["recent_n"] == 10
    assert 0.3 <= drift["divergence"] <= 1.0
