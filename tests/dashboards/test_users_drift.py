"""The user explorer shows the profile's taste drift (issue 14)."""

from __future__ import annotations

from personalization.core import preferences
from personalization.service.facade import Service

DAY = 86_400.0


def test_user_explorer_warns_when_the_taste_drifts(demo_app, monkeypatch):
    real = Service.profile

    def drifting(self, user_id):
        profile = real(self, user_id)
        old = [preferences.RatedFilm(i, 5.0, ("Comedy",), at=i * 10 * DAY) for i in range(30)]
        new = [preferences.RatedFilm(100 + j, 5.0, ("Horror",), at=400 * DAY + j * DAY) for j in range(10)]
        profile.drift = preferences.analyse(user_id, old + new, preferences.CommunityStats()).drift
        return profile

    monkeypatch.setattr(Service, "profile", drifting)
    at = demo_app("users")
    warning = next(w.value for w in at.warning if "Taste drift" in w.value)
    assert warning.startswith("Taste drift: drifting towards Horror")


def test_user_explorer_says_when_drift_is_not_measured(demo_app):
    at = demo_app("users")
    captions = [c.value for c in at.caption if c.value.startswith("Taste drift:")]
    assert captions and not [w for w in at.warning if "Taste drift" in w.value]
