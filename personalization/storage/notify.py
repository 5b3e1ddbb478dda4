"""Cross-process cache invalidation with LISTEN/NOTIFY.

Writers call ``pg_notify`` inside their transaction (delivered at commit). Each service runs one
``Listener`` thread on its own autocommit connection and hands every payload to a callback.

A lost connection (the server restarted, an outage) is re-established by itself, retrying every
``RETRY_SECONDS``. Notes sent while nobody listened are lost, so the callback gets ``"reset"``
(drop every cache) each time the connection is back, again until it succeeds. Not when it goes: the database is likely
down then, and a reset re-reads the settings from it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from personalization.storage import queries as q

__all__ = ["Listener"]

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
CONNECT_TIMEOUT = 5  # seconds: a server that does not answer is retried, not waited for


class Listener:
    def __init__(self, url: str, on_message: Callable[[str], None]):
        self.url, self.on_message = url, on_message
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cinesync-listener", daemon=True)
        self.ready = threading.Event()
        self.connections = 0  # successful LISTENs so far: more than one means it reconnected

    def start(self) -> Listener:
        self._thread.start()
        self.ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _deliver(self, payload: str) -> bool:
        # The callback may need the database too; if that fails, the listener must live on.
        try:
            self.on_message(payload)
        except Exception:
            log.exception("cache invalidation for %r failed", payload)
            return False
        return True

    def _run(self) -> None:
        lost = False  # said once per outage, not once per attempt
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, application_name="cinesync-listener"
                ) as conn:
                    conn.execute(q.LISTEN)
                    if lost:
                        log.warning("cache listener reconnected; dropping every cache")
                    lost = False
                    # Anything may have changed while we were not listening. A reset that fails
                    # (the pool is still reconnecting) is tried again until it is done; the caches
                    # are dropped even then (the engine drops them before it reads anything).
                    reset_done = self._deliver("reset")
                    self.connections += 1  # counted once the caches are dropped
                    self.ready.set()
                    next_try = time.monotonic() + RETRY_SECONDS
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.2):
                            self._deliver(note.payload)
                        if not reset_done and time.monotonic() >= next_try:
                            reset_done = self._deliver("reset")
                            next_try = time.monotonic() + RETRY_SECONDS
            except Exception as exc:  # dropped connection: drop caches, reconnect
                if self._stop.is_set():
                    return
                if not lost:
                    log.warning("cache listener lost its connection (%s); reconnecting", exc)
                    lost = True
                self._stop.wait(RETRY_SECONDS)
