"""Time-aware profiles through the store: a user's ratings read back with their times, oldest
first, make a profile that weights recent ratings and says whether the taste drifts; the CLI's
profile text shows the drift line (issue 14)."""

from __future__ import annotations

from personalization.cli.main import format_profile
from personalization.core import preferences
from personalization.core.catalogue import Film
from personalization.storage.time_queries import timed_ratings

DAY = 86_400.0
T0 = 1_600_000_000.0


def test_timed_ratings_come_back_oldest_first_and_make_a_drifting_profile(service):
    films = [
        Film(i, f"Old {i}", 1990, ("Comedy",) if i % 3 else ("Drama",), (f"Dir {i % 2}",), ()) for i in range(1, 31)
    ]
    films += [Film(i, f"Horror {i}", 2020, ("Horror",), ("Dir 9",), ()) for i in range(31, 41)]
    service.import_films(films)
    # stored newest first on purpose: the order read back must be the ratings' times
    for i in range(40, 30, -1):
        service.rate(7, i, 5, at=T0 + 400 * DAY + i * DAY)
    for i in range(30, 0, -1):
        service.rate(7, i, 5 if i % 3 else 2, at=T0 + i * 10 * DAY)
    with service.repo.session() as session:
        rows = timed_ratings(session, 7)
    assert [f for f, _, _ in rows] == list(range(1, 41))
    assert rows[0][2] == T0 + 10 * DAY and all(a[2] < b[2] for a, b in zip(rows, rows[1:]))
    by_id = {f.id: f for f in films}
    rated = [
        preferences.RatedFilm(f, s, by_id[f].genres, by_id[f].directors, by_id[f].actors, by_id[f].year, at)
        for f, s, at in rows
    ]
    community = service.community()
    off = preferences.analyse(7, rated, community)
    recent = preferences.analyse(7, rated, community, half_life_days=14)
    assert off.genres[0].name == "Comedy" and recent.genres[0].name == "Horror"
    assert off.drift is not None and off.drift.drifting and off.drift.rising == ["Horror"]
    text = format_profile(recent)
    assert "  drift     drifting towards Horror: the last 10 ratings depart from the 30 before" in text
    served = service.profile(7)  # the service reads the times too: its profile measures drift
    assert served.drift is not None and served.drift.drifting and served.drift.rising == ["Horror"]


def test_the_cli_profile_says_when_drift_is_not_measured_or_stable():
    untimed = preferences.analyse(1, [preferences.RatedFilm(1, 4.0, ("Drama",))], preferences.CommunityStats())
    assert "drift     not measured (the times of the ratings were not read)" in format_profile(untimed)
    few = preferences.analyse(1, [preferences.RatedFilm(1, 4.0, ("Drama",), at=T0)], preferences.CommunityStats())
    assert "drift     not enough ratings yet (needs 20" in format_profile(few)
    same = [preferences.RatedFilm(i, 3.0 + i % 3, ("Drama", "Comedy")[i % 2 : i % 2 + 1], at=T0 + i) for i in range(30)]
    assert "drift     stable: the last 10 ratings match the 20 before" in format_profile(
        preferences.analyse(1, same, preferences.CommunityStats())
    )
