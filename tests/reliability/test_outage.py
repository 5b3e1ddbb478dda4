"""PostgreSQL stops under load and comes back: calls fail fast with a clear error while it is
down, the pool and the LISTEN connection recover by themselves, and no cache serves stale data.

The server is the test's own (``ThrowawayServer``), never the shared test server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from reliability_helpers import ThrowawayServer, films

from personalization.config import Settings
from personalization.errors import CineSyncError
from personalization.service import Service

POOL_TIMEOUT = 2.0  # the stated bound: CINESYNC_POOL_TIMEOUT (Settings.pool_timeout)


@pytest.fixture
def server():
    s = ThrowawayServer()
    s.start()
    yield s
    s.close()


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_stop_and_restart_postgresql_under_load(server):
    settings = Settings(home=Path("/nonexistent"), pool_timeout=POOL_TIMEOUT, pool_max=4)
    a = Service.open(settings, url=server.url)
    b = Service.open(settings, url=server.url, listen=False)  # another process's writes
    try:
        a.import_films(films(20))
        for film in range(1, 8):
            a.rate(1, film, 4.0)
        cached = a.user_vector(1)
        assert cached is not None and len(a.vectors) == 1
        assert a._listener is not None and a._listener.connections == 1

        # Load: four threads writing through A while the server goes away.
        outcomes: list[tuple[float, BaseException | None]] = []
        stop = threading.Event()

        def load(t: int) -> None:
            i = 0
            while not stop.is_set():
                started = time.monotonic()
                try:
                    a.rate(100 + t, 1 + i % 20, 3.5)
                    outcomes.append((time.monotonic() - started, None))
                except Exception as exc:
                    outcomes.append((time.monotonic() - started, exc))
                i += 1

        threads = [threading.Thread(target=load, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        server.stop()
        down_at = time.monotonic()
        time.sleep(POOL_TIMEOUT * 2)

        # While down: every call fails within the stated timeout, with an error that says so.
        started = time.monotonic()
        with pytest.raises((psycopg.OperationalError, CineSyncError)) as failure:
            a.rate(1, 9, 2.0)
        assert time.monotonic() - started < POOL_TIMEOUT + 1.0
        assert "connection" in str(failure.value).lower()

        server.start()
        up_at = time.monotonic()
        # The pool recovers by itself: writes succeed again without reopening anything.
        assert wait_for(lambda: outcomes and outcomes[-1][1] is None and outcomes[-1][0] < 1.0)
        stop.set()
        for t in threads:
            t.join(POOL_TIMEOUT * 3)
        failed = [(d, e) for d, e in outcomes if e is not None]
        assert failed, "the outage was not noticed"
        slowest = max(d for d, _ in failed)
        assert slowest < POOL_TIMEOUT + 1.0, f"a call hung {slowest:.1f} s while the database was down"
        assert all(isinstance(e, (psycopg.OperationalError, CineSyncError)) for _, e in failed), {
            type(e).__name__ for _, e in failed
        }

        # The LISTEN connection is back by itself, and dropped every cache when it came back.
        assert wait_for(lambda: a._listener.connections >= 2), "the listener did not reconnect"
        assert len(a.vectors) == 0 or a.vectors.get(1) is None
        # ...and hears other processes again: B's write reaches A's cache.
        a.user_vector(1)
        b.rate(1, 10, 0.5)
        assert wait_for(lambda: a.vectors.get(1) is None), "A still serves user 1's old vector"
        fresh = a.user_vector(1)
        stored = b.user_vector(1)
        assert fresh is not None and stored is not None
        assert np.allclose(fresh[0], stored[0]) and fresh[1] == 8
        print(
            f"down {up_at - down_at:.1f} s: {len(failed)} calls failed, slowest failure {slowest:.2f} s; "
            f"{len(outcomes) - len(failed)} succeeded"
        )
    finally:
        a.close()
        b.close()
