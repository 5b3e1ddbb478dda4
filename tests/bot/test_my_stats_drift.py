"""/my_stats shows the taste drift from the profile (issue 14)."""

from __future__ import annotations

from discord_fakes import FakeInteraction

from bot.cogs.profile import drift_text
from personalization.core import preferences

DAY = 86_400.0


def drifting_profile(user_id: int) -> preferences.PreferenceProfile:
    old = [preferences.RatedFilm(i, 5.0, ("Comedy",), at=i * 10 * DAY) for i in range(30)]
    new = [preferences.RatedFilm(100 + j, 5.0, ("Horror",), at=400 * DAY + j * DAY) for j in range(10)]
    return preferences.analyse(user_id, old + new, preferences.CommunityStats(3.5, 1.0, 2))


def test_my_stats_shows_drift_when_the_profile_drifts(cogs, demo_service, run, monkeypatch):
    monkeypatch.setattr(demo_service, "profile", drifting_profile)
    cog = cogs["Profile"]
    i = FakeInteraction(5, name="bob")
    run(cog.my_stats.callback(cog, i))
    field = next(f for f in i.last_sent["embed"].fields if f.name == "Taste drift")
    assert field.value.startswith("Your taste is on the move — drifting towards Horror")
    assert "the last 10 ratings depart from the 30 before" in field.value


def test_my_stats_says_drift_is_not_measured_without_rating_times(cogs, demo_service, run):
    cog = cogs["Profile"]
    i = FakeInteraction(5, name="bob")
    run(cog.my_stats.callback(cog, i))
    field = next(f for f in i.last_sent["embed"].fields if f.name == "Taste drift")
    assert field.value == drift_text(demo_service.profile(5))
    assert field.value.startswith(("Not measured", "Stable", "Not enough", "Your taste"))
