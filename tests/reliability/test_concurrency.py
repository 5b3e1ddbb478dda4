"""Several processes and threads rate, give feedback, forget and read at once, for the same users
and for different ones. Afterwards: every acknowledged event is stored exactly once, the counters
equal the stored rows, every vector equals a rebuild from its events in commit order, and no
deadlock or serialization error reached a caller."""

from __future__ import annotations

import os
import threading
import time

import pytest
from psycopg import errors
from reliability_helpers import Acks, check_consistency, load_films, start_worker

from personalization.storage import retry

N_FILMS = 40
# The short form runs in `make test`; CINESYNC_RELIABILITY_SCALE=10 gives the full form (thousands
# of events; minutes on a 2-core machine).
SCALE = float(os.environ.get("CINESYNC_RELIABILITY_SCALE", "1"))


def run_writers(url: str, *, processes: int, threads: int, events: int, users: list[int], forget: list[int]) -> Acks:
    acks = Acks()
    workers = [start_worker(url, seed, events, threads, users, forget, N_FILMS) for seed in range(processes)]
    for w in workers:
        out, err = w.communicate(timeout=120 * SCALE)
        acks.add(out)
        assert w.returncode == 0, err[-2000:]
    return acks


@pytest.mark.slow
def test_processes_and_threads_writing_the_same_and_different_users(db_url):
    load_films(db_url, N_FILMS)
    shared = [1, 2, 3]  # every thread of every process writes these
    forgotten = [900, 901]  # rated, reacted to and forgotten by everyone at once
    started = time.monotonic()
    events = int(40 * SCALE)
    acks = run_writers(db_url, processes=3, threads=2, events=events, users=shared, forget=forgotten)
    elapsed = time.monotonic() - started
    assert not acks.errors, acks.errors[:5]
    writes = len(acks.of("rate")) + len(acks.of("feedback"))
    assert writes > 3 * 2 * events * 0.6 and acks.of("forget") and acks.of("read")
    check_consistency(db_url, acks, exact_users=set(shared))
    print(f"{writes} writes, {len(acks.of('forget'))} forgets, {len(acks.of('read'))} reads in {elapsed:.1f} s")


def test_threads_in_one_process_writing_one_user(service, small_catalogue, db_url):
    """Eight threads, one service, one user: the row lock serialises them; nothing is lost."""
    acks = Acks()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def write(t: int) -> None:
        import json
        import uuid

        for i in range(40):
            film = 1 + (t * 40 + i) % 12
            try:
                if i % 2:
                    event = uuid.uuid4().hex
                    service.feedback(7, film, "like" if t % 2 else "dislike", context={"event": event})
                    line = {"op": "feedback", "user": 7, "film": film, "event": event}
                else:
                    stars = 0.5 + (t + i) % 10 / 2
                    service.rate(7, film, stars)
                    line = {"op": "rate", "user": 7, "film": film, "stars": stars}
            except BaseException as exc:
                failures.append(exc)
                return
            with lock:
                acks.add(json.dumps(line))

    pool = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    assert not failures, failures[:3]
    assert len(acks.lines) == 320
    state = check_consistency(db_url, acks, exact_users={7})
    assert state["counters"][7] == (len({a["film"] for a in acks.of("rate")}), 160)


def test_forget_while_rating_the_same_user_never_deadlocks(service, small_catalogue, db_url, caplog):
    """forget and rate take the same locks in the same order: PostgreSQL never has to break a
    deadlock between them (a first write racing a forget is run again, and reaches no caller)."""
    import logging

    caplog.set_level(logging.INFO, logger=retry.__name__)
    seen: list[BaseException] = []
    stop = threading.Event()

    def rater() -> None:
        i = 0
        while not stop.is_set():
            try:
                service.rate(5, 1 + i % 12, 4.0)
                service.feedback(5, 1 + (i + 3) % 12, "love")
            except BaseException as exc:
                seen.append(exc)
            i += 1

    threads = [threading.Thread(target=rater) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(60):
            service.forget(5)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not seen, seen[:3]
    retried = [r.getMessage() for r in caplog.records if r.name == retry.__name__]
    assert not [m for m in retried if "Deadlock" in m], retried[:3]
    check_consistency(db_url, Acks())


def test_retry_runs_a_rolled_back_transaction_again_and_gives_up_after_its_bound():
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise errors.DeadlockDetected("deadlock detected")
        return "done"

    assert retry.retry_transaction(flaky, sleep=lambda s: None) == "done"
    assert len(calls) == 3

    def always() -> None:
        calls.append(1)
        raise errors.SerializationFailure("could not serialize access")

    calls.clear()
    with pytest.raises(errors.SerializationFailure):
        retry.retry_transaction(always, attempts=4, sleep=lambda s: None)
    assert len(calls) == 4

    def other() -> None:  # a lost connection may have committed: never retried
        calls.append(1)
        raise errors.AdminShutdown("terminating connection")

    calls.clear()
    with pytest.raises(errors.AdminShutdown):
        retry.retry_transaction(other, sleep=lambda s: None)
    assert len(calls) == 1


def test_a_real_serialization_failure_in_the_write_path_is_retried(service, small_catalogue, db_url, monkeypatch):
    """The write path's one retry site: a rate whose first transaction PostgreSQL rolls back
    (forced here) is run again and stored once."""
    from personalization.service import writes

    real = writes.Writes._apply_once
    calls = []

    def first_fails(self, *args):
        calls.append(1)
        if len(calls) == 1:
            with self.repo.transaction() as session:
                session.conn.execute("SELECT 1")
                raise errors.SerializationFailure("could not serialize access due to concurrent update")
        return real(self, *args)

    monkeypatch.setattr(writes.Writes, "_apply_once", first_fails)
    result = service.rate(3, 2, 5.0)
    assert len(calls) == 2 and result.n_ratings == 1
    acks = Acks([{"op": "rate", "user": 3, "film": 2, "stars": 5.0}])
    check_consistency(db_url, acks, exact_users={3})
