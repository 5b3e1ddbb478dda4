"""/healthz answers 503 within its own short wait while the database is down, not after the
request routes' pool timeout (CINESYNC_POOL_TIMEOUT): a probe that hangs is no probe."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from personalization.api import create_app

REFUSED = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"  # port 1: nothing listens


def test_healthz_is_503_without_waiting_for_the_pool_timeout(service, api_settings, monkeypatch):
    with TestClient(create_app(service, api_settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        # the database goes away: a pool that cannot connect, whose requests would wait 10 minutes
        dead: ConnectionPool[Any] = ConnectionPool(REFUSED, min_size=0, max_size=1, timeout=600, open=False)
        dead.open(wait=False)
        monkeypatch.setattr(service.db, "pool", dead)
        answers: list[Any] = []
        probe = threading.Thread(target=lambda: answers.append(client.get("/healthz")), daemon=True)
        try:
            probe.start()
            probe.join(120)  # a generous bound: the probe's own wait is 2 s, the pool's 600 s
            assert answers, "/healthz waited for the pool timeout instead of its own short one"
            assert answers[0].status_code == 503
            assert answers[0].json() == {"status": "unavailable", "database": "down"}
        finally:
            monkeypatch.undo()
            dead.close()
