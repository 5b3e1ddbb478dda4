"""SIGKILL `cinesync train` mid-work: no half-published model version is ever visible (a serving
process keeps the previous complete version, or none), and a re-run publishes a complete one.

Killed twice: while fitting (before anything is written), and inside the publishing transaction
(held there by a lock the test takes on the version the publish deletes, so the kill lands
between the version's first row and its commit, every time)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from personalization.service import Service

CINESYNC = str(Path(sys.executable).with_name("cinesync"))


def _rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _stored(url: str) -> dict[int, set[str]]:
    """Each visible version and the models its arrays hold."""
    out: dict[int, set[str]] = {v: set() for (v,) in _rows(url, "SELECT id FROM model_versions")}
    for v, model in _rows(url, "SELECT version_id, model FROM model_arrays"):
        out.setdefault(v, set()).add(model)
    return out


def _wait(what: str, check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def trainer(db_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINESYNC_")}
    env.update(CINESYNC_DATABASE_URL=db_url, CINESYNC_HOME=str(tmp_path / "home"), OPENBLAS_NUM_THREADS="1")
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [CINESYNC, "train", "--keep", "1", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def _killed(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _complete_run(start) -> tuple[int, set[str]]:
    proc = start("--json")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    published = json.loads(out)
    return published["version"], set(published["bytes"])


def test_a_trainer_killed_mid_work_never_leaves_a_half_published_version(db_url, settings, trainer):
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens

    data = read_movielens(
        write_movielens(generate(n_users=80, n_films=250, mean_ratings=30, seed=4), settings.home / "data")
    )
    with Service.open(settings, url=db_url) as serving:
        serving.import_films(data.films)
        serving.rate_many(data.ratings)
        serving.warm_up(background=False)
        user = serving.users("", 1)[0]["id"]

        # 1. Killed while fitting its first version: nothing was written, nothing is served.
        first = trainer()
        assert first.stdout is not None
        _wait("the trainer to fit a model", lambda: "fitted" in first.stdout.readline())
        _killed(first)
        assert _stored(db_url) == {}
        with Service.open(settings, url=db_url, listen=False) as fresh:
            assert fresh.recommend(user, 5).model_version is None
        assert serving.recommend(user, 5).model_version is None

        # A complete run: every serving process switches to it.
        v1, models = _complete_run(trainer)
        assert _stored(db_url) == {v1: models}
        _wait("the serving process to load it", lambda: serving.recommend(user, 5).model_version == v1, 20)

        # 2. Killed inside its publishing transaction: the version row and its arrays were
        # written, and the deletion of the older version (--keep 1) waits for the test's lock.
        with psycopg.connect(db_url) as holder:
            holder.execute("SELECT id FROM model_versions WHERE id = %s FOR SHARE", (v1,))
            second = trainer()
            blocked = (
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND query LIKE '%%DELETE FROM model_versions%%'"
            )
            _wait("the publish to wait for the lock", lambda: bool(_rows(db_url, blocked)), 120)
            (pid,) = _rows(db_url, blocked)[0]
            writing = _rows(db_url, "SELECT last_value FROM model_versions_id_seq")[0][0]
            assert writing > v1  # its version row exists, uncommitted
            _killed(second)
        # The lock is released: its server backend runs on, finds the client gone, rolls back.
        _wait(
            "the killed trainer's transaction to end",
            lambda: not _rows(db_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)),
        )
        assert _stored(db_url) == {v1: models}, "a half-published version is visible"
        assert serving.recommend(user, 5).model_version == v1
        with Service.open(settings, url=db_url, listen=False) as fresh:
            recs = fresh.recommend(user, 5)
            assert recs.model_version == v1 and recs.items
            assert fresh.engine.served is not None and set(fresh.engine.served.models) <= models

        # 3. Run again: a complete version replaces it, and the serving process loads it.
        v2, again = _complete_run(trainer)
        assert v2 > writing and again == models
        assert _stored(db_url) == {v2: models}
        _wait("the serving process to load it", lambda: serving.recommend(user, 5).model_version == v2, 20)
