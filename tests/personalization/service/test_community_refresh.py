"""The community's rating mean and spread (a profile's rating style): exact for this process's
own writes, re-read at most every COMMUNITY_REFRESH_SECONDS for other processes' (each re-read is
a scan of every rating: one per profile after each note made every serving process scan 25
million ratings again and again)."""

import psycopg
import pytest

from personalization.service import Service
from personalization.service import engine as engine_module
from personalization.service.invalidation import Invalidation


def sql_mean(url: str) -> float:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT avg(stars)::float8 FROM ratings").fetchone()
    assert row is not None
    return float(row[0])


def test_other_processes_ratings_reach_the_community_statistics_after_the_refresh_interval(
    service, small_catalogue, db_url, settings, monkeypatch
):
    service.rate(1, 1, 1.0)
    service.rate(1, 2, 2.0)
    assert service.community().mean == pytest.approx(1.5)
    service.rate(1, 3, 3.0)  # this process's own write: counted at once, no re-read
    assert service.community().mean == pytest.approx(2.0) == pytest.approx(sql_mean(db_url))

    with Service.open(settings, url=db_url, listen=False) as other:  # another serving process
        other.rate(2, 4, 5.0)
        other.rate(2, 5, 5.0)
        note = Invalidation.user(2, other.engine.token)
    service.engine.on_note(note)
    assert service.community().mean == pytest.approx(2.0)  # within the interval: no scan yet
    monkeypatch.setattr(engine_module, "COMMUNITY_REFRESH_SECONDS", 0.0)
    assert service.community().mean == pytest.approx(sql_mean(db_url)) == pytest.approx(3.2)
    service.unrate(1, 1)  # this process's own removal: exact at once
    assert service.community().mean == pytest.approx(sql_mean(db_url)) == pytest.approx(3.75)
