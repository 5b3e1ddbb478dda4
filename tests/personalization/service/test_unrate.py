"""``Service.unrate``: one rating removed in one transaction; the vector is the rebuild from what
remains, the counters match the rows, and other processes drop what they cached."""

from __future__ import annotations

import time

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.errors import UnknownRating
from personalization.service import Service

T0 = 1_700_000_000.0


def rows(url: str, user: int) -> tuple[dict[int, float], int, tuple[int, int] | None]:
    """The user's stored ratings, feedback count and counters (n_ratings, n_feedback)."""
    with psycopg.connect(url) as conn:
        ratings = {
            f: float(s) for f, s in conn.execute("SELECT movie_id, stars FROM ratings WHERE user_id = %s", (user,))
        }
        n_fb = conn.execute("SELECT count(*) FROM feedback WHERE user_id = %s", (user,)).fetchone()
        counters = conn.execute(
            "SELECT n_ratings, n_feedback FROM user_embeddings WHERE user_id = %s", (user,)
        ).fetchone()
    assert n_fb is not None
    return ratings, int(n_fb[0]), None if counters is None else (int(counters[0]), int(counters[1]))


def stored_vector(url: str, user: int) -> np.ndarray:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT embedding FROM user_embeddings WHERE user_id = %s", (user,)).fetchone()
    assert row is not None
    return np.asarray(row[0], dtype=np.float32)


def test_unrate_removes_the_row_and_the_vector_is_the_rebuild_from_what_remains(service, small_catalogue, db_url):
    # User 1 rates films 1-6 and loves film 2; user 2 gives the same signals except the ratings
    # of films 2 and 4 that user 1 is about to remove: afterwards their vectors must be the same.
    for i, (film, stars) in enumerate([(1, 5.0), (2, 1.0), (3, 4.0), (4, 2.0)]):
        service.rate(1, film, stars, at=T0 + i)
        if film not in (2, 4):
            service.rate(2, film, stars, at=T0 + i)
    service.feedback(1, 2, "love", at=T0 + 10)  # film 2 keeps this signal after its rating goes
    service.feedback(2, 2, "love", at=T0 + 10)
    service.rate(1, 5, 3.5, at=T0 + 20)  # the ratings to remove are not the latest events
    service.rate(2, 5, 3.5, at=T0 + 20)
    service.rate(1, 6, 4.5, at=T0 + 21)
    service.rate(2, 6, 4.5, at=T0 + 21)
    assert not np.allclose(stored_vector(db_url, 1), stored_vector(db_url, 2), atol=1e-3)
    assert service.profile(1).n_ratings == 6  # cached: must not survive

    before = service.community()
    assert service.unrate(1, 2).stars == 1.0
    result = service.unrate(1, 4)

    assert (result.user_id, result.film_id, result.stars) == (1, 4, 2.0)
    assert result.n_ratings == 4
    ratings, n_fb, counters = rows(db_url, 1)
    assert ratings == {1: 5.0, 3: 4.0, 5: 3.5, 6: 4.5}
    assert counters == (len(ratings), n_fb) == (4, 1)
    assert np.allclose(stored_vector(db_url, 1), stored_vector(db_url, 2), atol=1e-6)
    cached = service.user_vector(1)
    assert cached is not None and np.allclose(cached[0], stored_vector(db_url, 1), atol=1e-6)
    assert service.profile(1).n_ratings == 4  # recomputed, not the cached one
    after = service.community()
    assert after.mean != pytest.approx(before.mean)
    with psycopg.connect(db_url) as conn:
        mean = conn.execute("SELECT avg(stars)::float8 FROM ratings").fetchone()
    assert mean is not None and after.mean == pytest.approx(mean[0])


def test_unrating_the_only_rating_leaves_a_zero_vector_and_zero_counters(service, small_catalogue, db_url):
    service.rate(3, 4, 5.0)
    result = service.unrate(3, 4)
    assert result.n_ratings == 0 and not result.personalised
    assert rows(db_url, 3) == ({}, 0, (0, 0))
    assert not np.any(stored_vector(db_url, 3))


def test_an_unknown_rating_is_a_clear_error_and_writes_nothing(service, small_catalogue, db_url):
    service.rate(4, 1, 4.0)
    before = rows(db_url, 4), stored_vector(db_url, 4)
    with pytest.raises(UnknownRating, match="has not rated film 2"):
        service.unrate(4, 2)
    with pytest.raises(UnknownRating):
        service.unrate(999, 1)  # an unknown user: not created either
    assert rows(db_url, 4) == before[0] and np.array_equal(stored_vector(db_url, 4), before[1])
    assert rows(db_url, 999) == ({}, 0, None)
    assert not service.users("999")


def test_another_process_drops_its_cached_vector(service, small_catalogue, db_url, settings):
    for film, stars in [(1, 5.0), (2, 5.0), (3, 1.0)]:
        service.rate(5, film, stars)
    with Service.open(settings, url=db_url) as other:
        old = other.user_vector(5)
        assert old is not None and old[1] == 3
        service.unrate(5, 2)
        deadline = time.monotonic() + 10
        while other.vectors.get(5) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.vectors.get(5) is None, "the other process kept its cached vector"
        fresh = other.user_vector(5)
        assert fresh is not None and fresh[1] == 2
        assert np.allclose(fresh[0], stored_vector(db_url, 5), atol=1e-6)


def test_cli_unrate(service, small_catalogue, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "cli-home"))
    service.rate(6, 3, 4.5)
    service.rate(6, 4, 2.0)
    r = CliRunner().invoke(main, ["unrate", "6", "3"])
    assert r.exit_code == 0, r.output
    assert "user 6 un-rated Film 3" in r.output and "was 4.5 stars" in r.output and "1 rating left" in r.output
    assert rows(db_url, 6)[0] == {4: 2.0}
    again = CliRunner().invoke(main, ["unrate", "6", "3"])
    assert again.exit_code == 2 and "has not rated film 3" in again.output
    assert rows(db_url, 6)[0] == {4: 2.0}
