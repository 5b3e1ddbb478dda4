import math

import numpy as np

from personalization.core.preferences import CommunityStats, RatedFilm, analyse

COMMUNITY = CommunityStats(mean=3.5, std=1.0, n_genres=18)


def test_no_ratings():
    p = analyse(1, [], COMMUNITY)
    assert p.n_ratings == 0 and p.mean_rating is None and p.style == "unknown"
    assert p.genres == [] and p.diversity == 0.0 and sum(p.distribution.values()) == 0


def test_one_rating():
    p = analyse(1, [RatedFilm(1, 4.5, ("Drama",), ("D",), ("A",), 1994)], COMMUNITY)
    assert p.n_ratings == 1 and p.mean_rating == 4.5
    assert p.genres == []  # nothing sits above the user's own mean
    assert p.style == "generous" and p.distribution["4.5"] == 1
    assert p.diversity == 0.0


def test_often_but_low_loses_to_rarely_but_loved():
    films = [RatedFilm(i, 2.5, ("Comedy",)) for i in range(60)]
    films += [RatedFilm(100 + i, 5.0, ("Drama",)) for i in range(3)]
    p = analyse(1, films, COMMUNITY)
    assert p.genres[0].name == "Drama"
    assert all(g.name != "Comedy" for g in p.genres)
    # the original measure, mean * (1 + ln count), would have ranked Comedy first:
    assert 2.5 * (1 + math.log(60)) > 5.0 * (1 + math.log(3))


def test_shrinkage_prefers_evidence():
    films = [RatedFilm(1, 5.0, ("Noir",))] + [RatedFilm(10 + i, 4.5, ("Western",)) for i in range(10)]
    films += [RatedFilm(100 + i, 2.0, ("Drama",)) for i in range(11)]
    p = analyse(1, films, COMMUNITY)
    names = [g.name for g in p.genres]
    assert names.index("Western") < names.index("Noir")


def test_directors_actors_decades():
    films = [RatedFilm(i, 5.0, ("Horror",), ("Carpenter",), ("Curtis",), 1978) for i in range(4)]
    films += [RatedFilm(10 + i, 2.0, ("Musical",), ("Minnelli",), ("Garland",), 1951) for i in range(4)]
    p = analyse(1, films, COMMUNITY)
    assert p.directors[0].name == "Carpenter" and p.actors[0].name == "Curtis"
    assert p.decades[0].name == "1970s"


def test_style_is_relative_to_the_community():
    films = [RatedFilm(i, 3.0, ("Drama",)) for i in range(10)]
    assert analyse(1, films, CommunityStats(2.0, 1.0, 18)).style == "generous"
    assert analyse(1, films, CommunityStats(4.0, 1.0, 18)).style == "harsh"
    assert analyse(1, films, CommunityStats(3.1, 1.0, 18)).style == "balanced"


def test_diversity_is_normalised_entropy():
    one = analyse(1, [RatedFilm(i, 4.0, ("Drama",)) for i in range(10)], COMMUNITY)
    assert one.diversity == 0.0
    spread = analyse(1, [RatedFilm(i, 4.0, (f"G{i}",)) for i in range(18)], COMMUNITY)
    assert abs(spread.diversity - 1.0) < 1e-12
    two = analyse(1, [RatedFilm(i, 4.0, (f"G{i % 2}",)) for i in range(10)], COMMUNITY)
    assert abs(two.diversity - math.log(2) / math.log(18)) < 1e-12


def test_ten_thousand_ratings():
    rng = np.random.default_rng(0)
    genres = [f"G{i}" for i in range(18)]
    films = [
        RatedFilm(
            i,
            float(rng.integers(1, 11)) / 2,
            (genres[i % 18], genres[(i * 7) % 18]),
            (f"D{i % 300}",),
            (f"A{i % 900}", f"A{(i * 3) % 900}"),
            1920 + i % 100,
        )
        for i in range(10_000)
    ]
    p = analyse(1, films, COMMUNITY)
    assert p.n_ratings == 10_000 and sum(p.distribution.values()) == 10_000
    assert len(p.genres) <= 10 and len(p.actors) <= 10
    sigs = [g.significance for g in p.directors]
    assert sigs == sorted(sigs, reverse=True)
    assert 0.9 < p.diversity <= 1.0


def test_round_trip_through_dict():
    from personalization.core.preferences import PreferenceProfile

    p = analyse(1, [RatedFilm(i, 5.0 - i % 3, ("Drama", "War"), ("D",), ("A",), 1990) for i in range(9)], COMMUNITY)
    assert PreferenceProfile.from_dict(p.to_dict()) == p
