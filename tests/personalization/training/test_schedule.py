"""When the trainer runs again (pure), and `cinesync train` / `db status` on a real database."""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.training import Schedule, due, parse_duration


def test_after_n_new_ratings():
    s = Schedule(after=100)
    kw = {"now": 1e9, "last_at": 1e9 - 1}
    assert not due(s, n_ratings=1_099, last_n_ratings=1_000, **kw)
    assert due(s, n_ratings=1_100, last_n_ratings=1_000, **kw)
    assert not due(s, n_ratings=1_000, last_n_ratings=1_000, now=1e12, last_at=0.0)  # no --every: time alone never
    assert due(s, n_ratings=5, last_n_ratings=None, now=0.0, last_at=None)  # nothing published yet
    assert not due(s, n_ratings=0, last_n_ratings=None, now=0.0, last_at=None)  # ...and nothing to fit


def test_every_and_whichever_comes_first():
    s = Schedule(every=900.0, after=50)
    assert not due(s, now=1_899.0, last_at=1_000.0, n_ratings=49, last_n_ratings=0)
    assert due(s, now=1_900.0, last_at=1_000.0, n_ratings=0, last_n_ratings=0)
    assert due(s, now=1_001.0, last_at=1_000.0, n_ratings=50, last_n_ratings=0)
    assert not due(Schedule(every=60.0), now=100.0, last_at=50.0, n_ratings=10**6, last_n_ratings=0)


def test_durations_and_bad_schedules():
    assert [parse_duration(t) for t in ("30s", "15m", "2h", "1d", "45", " 1.5 m ")] == [
        30.0,
        900.0,
        7200.0,
        86400.0,
        45.0,
        90.0,
    ]
    for bad in ("", "0", "-5m", "15 minutes", "m"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        Schedule(after=0)
    with pytest.raises(ValueError):
        Schedule(every=0.0)
    assert Schedule().once and not Schedule(after=1).once
    assert Schedule(every=900.0, after=10).describe() == "every 900 s or when 10 new ratings arrived"


@pytest.fixture
def run(demo_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))
    return lambda *args: CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_train_once_then_db_status_shows_the_published_versions(run):
    before = json.loads(run("db", "status", "--json").output)["models_published"]
    r = run("train")
    assert r.exit_code == 0, r.output
    assert "published version" in r.output and "fitted ease" in r.output
    after = json.loads(run("db", "status", "--json").output)["models_published"]
    assert after[0]["id"] > (before[0]["id"] if before else 0)
    assert set(after[0]["models"]) == {"popularity", "trending", "itemknn", "ease", "als", "sequence", "film_vectors"}
    text = run("db", "status").output
    assert f"version {after[0]['id']}" in text
    assert json.loads(run("train", "--json", "--keep", 1).output)["version"] == after[0]["id"] + 1
    assert len(json.loads(run("db", "status", "--json").output)["models_published"]) == 1  # --keep 1
    assert run("train", "--every", "soon").exit_code == 2


def test_train_names_the_option_a_bad_duration_came_from_and_checks_the_metrics_port(run, monkeypatch):
    r = run("train", "--every", "")
    assert r.exit_code == 2 and "--every" in r.output  # an empty value no longer trains once silently
    r = run("train", "--check-every", "1y", "--after", 5)
    assert r.exit_code == 2 and "--check-every" in r.output
    monkeypatch.setenv("CINESYNC_METRICS_PORT", "notaport")
    r = CliRunner().invoke(main, ["train", "--every", "1h"])
    assert r.exit_code == 2 and "CINESYNC_METRICS_PORT" in r.output  # the trainer serves metrics too


def test_train_every_skips_a_training_when_neither_ratings_nor_settings_changed(run, demo_db_url, monkeypatch):
    """An idle community does not get a new identical version every DURATION, also from a
    trainer started after the newest version was published; a re-rating (same count, other
    stars) makes the next one due again."""
    import psycopg

    import personalization.cli.train as train_cli

    def versions() -> list[int]:
        return [v["id"] for v in json.loads(run("db", "status", "--json").output)["models_published"]]

    pick = "SELECT user_id, movie_id, stars FROM ratings ORDER BY user_id, movie_id LIMIT 1"
    with psycopg.connect(demo_db_url, autocommit=True) as conn:
        user, film, stars = conn.execute(pick).fetchone()
    changed = 4.5 if stars >= 5 else stars + 0.5
    assert run("train").exit_code == 0  # a one-off training always publishes
    before = max(versions())
    naps: list[list[int]] = []

    def nap(_seconds: float) -> None:  # the loop's pause: look at what it published, change things
        naps.append(versions())
        if len(naps) == 1:
            with psycopg.connect(demo_db_url, autocommit=True) as conn:
                conn.execute(
                    "UPDATE ratings SET stars = %s WHERE user_id = %s AND movie_id = %s", (changed, user, film)
                )
        if len(naps) == 2:
            with psycopg.connect(demo_db_url, autocommit=True) as conn:  # as it was, for the other tests
                conn.execute("UPDATE ratings SET stars = %s WHERE user_id = %s AND movie_id = %s", (stars, user, film))
            raise KeyboardInterrupt

    # the loop's clock stays real; only its pause is this function (not time.sleep for every thread)
    monkeypatch.setattr(train_cli, "time", SimpleNamespace(time=time.time, sleep=nap))
    r = run("train", "--every", "0.001s", "--check-every", "0.001s", "--keep", 10)
    assert r.exit_code == 0, r.output
    first, second = (max(v) for v in naps)
    assert first == before  # a new trainer, the same ratings and settings as the newest version: skipped
    assert f"nothing changed since version {before}" in r.output
    assert second == before + 1  # one re-rating: trained again


def test_check_every_alone_is_refused_and_json_output_stays_json(run, monkeypatch):
    r = run("train", "--check-every", "5s")
    assert r.exit_code == 2 and "--check-every applies to --every or --after" in r.output

    import psycopg

    import personalization.cli.train as train_cli

    url = os.environ["CINESYNC_DATABASE_URL"]
    rerate = (
        "UPDATE ratings SET stars = 5.5 - stars"  # 0.5 <-> 5, 1 <-> 4.5, ...: twice is the same
        " WHERE (user_id, movie_id) = (SELECT user_id, movie_id FROM ratings ORDER BY 1, 2 LIMIT 1)"
    )
    with psycopg.connect(url, autocommit=True) as conn:  # something new to train on
        conn.execute(rerate)

    def stop(_seconds: float) -> None:
        with psycopg.connect(url, autocommit=True) as conn:  # as it was, for the other tests
            conn.execute(rerate)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_cli, "time", SimpleNamespace(time=time.time, sleep=stop))
    r = CliRunner().invoke(main, ["train", "--json", "--every", "0.001s"])  # due at once; stdout and stderr apart
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["version"] >= 1  # the one training's JSON, and nothing else
    assert "training every 0.001 s" in r.stderr and "stopped" in r.stderr
