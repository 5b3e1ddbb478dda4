"""SIGKILL a writer and the importer mid-work: afterwards the database is consistent, every
acknowledged event is there, a re-run adds nothing twice, and the embedded PostgreSQL a killed
process left running is found and reused, or stopped cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from reliability_helpers import Acks, check_consistency, check_vectors, load_films, start_worker

CINESYNC = str(Path(sys.executable).with_name("cinesync"))


def test_a_writer_killed_mid_work_leaves_every_acknowledged_event_and_no_half_event(db_url):
    load_films(db_url, 30)
    users = [1, 2, 3, 4]
    worker = start_worker(db_url, seed=3, events=10_000, threads=3, users=users, forget=[], n_films=30)
    acks = Acks()
    assert worker.stdout is not None
    deadline = time.monotonic() + 60
    while len(acks.of("rate")) + len(acks.of("feedback")) < 150 and time.monotonic() < deadline:  # well into it
        acks.add(worker.stdout.readline())
    worker.send_signal(signal.SIGKILL)
    out, _ = worker.communicate(timeout=30)
    acks.add(out)  # what it acknowledged before it died
    assert worker.returncode == -signal.SIGKILL
    assert not acks.errors and len(acks.of("rate")) + len(acks.of("feedback")) > 100
    check_consistency(db_url, acks, exact_users=set(users))


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.slow
def test_an_import_killed_mid_way_then_run_again_stores_each_rating_once(db_url, tmp_path):
    from personalization.data.synthetic import generate, write_movielens

    folder = write_movielens(generate(n_users=120, n_films=300, mean_ratings=60, seed=5), tmp_path / "ml")
    env = {**os.environ, "CINESYNC_DATABASE_URL": db_url, "CINESYNC_HOME": str(tmp_path / "home")}
    command = [CINESYNC, "import", "movielens", str(folder)]
    importer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db_url, "SELECT count(*) FROM ratings") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # the first batch has committed: kill it while it works on the next
    importer.send_signal(signal.SIGKILL)
    importer.wait(30)
    partial = _count(db_url, "SELECT count(*) FROM ratings")
    check_consistency(db_url, Acks())  # consistent even half-way: counters, vectors

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = sum(1 for _ in open(folder / "ratings.csv")) - 1  # one rating per (user, film)
    assert _count(db_url, "SELECT count(*) FROM ratings") == expected >= partial
    check_consistency(db_url, Acks())

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _count(db_url, "SELECT count(*) FROM ratings") == expected  # nothing twice
    check_vectors(db_url)


@pytest.fixture
def home():
    """A CINESYNC_HOME of this test's own (not under pytest's basetemp: see tests/conftest.py)."""
    path = Path(tempfile.mkdtemp(prefix="cinesync-crash-"))
    yield path
    subprocess.run([CINESYNC, "db", "stop"], env={**os.environ, "CINESYNC_HOME": str(path)}, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_the_embedded_server_of_a_killed_process_is_reused_then_stopped_cleanly(home):
    env = {**os.environ, "CINESYNC_HOME": str(home)}
    env.pop("CINESYNC_DATABASE_URL", None)
    start = (
        "import time; from pathlib import Path; from personalization.storage.db import embedded_url; "
        f"print(embedded_url(Path({str(home)!r})), flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen([sys.executable, "-c", start], env=env, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    url = holder.stdout.readline().strip()
    assert url
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)

    # The server it started is still there: the next process finds it and uses it.
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    reused = subprocess.run([CINESYNC, "db", "url"], env=env, capture_output=True, text=True, timeout=120)
    assert reused.returncode == 0, reused.stderr
    with psycopg.connect(reused.stdout.strip().splitlines()[-1], connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    stopped = subprocess.run([CINESYNC, "db", "stop"], env=env, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert not (home / "pgdata" / "postmaster.pid").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3)
