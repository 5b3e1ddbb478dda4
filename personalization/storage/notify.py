"""Cross-process cache invalidation with LISTEN/NOTIFY.

Writers call ``pg_notify`` inside their transaction (delivered at commit). Each service runs one
``Listener`` thread on its own autocommit connection and hands every payload to a callback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from personalization.storage import queries as q

__all__ = ["Listener"]

log = logging.getLogger(__name__)


class Listener:
    def __init__(self, url: str, on_message: Callable[[str], None]):
        self.url, self.on_message = url, on_message
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cinesync-listener", daemon=True)
        self.ready = threading.Event()

    def start(self) -> Listener:
        self._thread.start()
        self.ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _deliver(self, payload: str) -> None:
        # The callback may need the database too; if that fails, the listener must live on.
        try:
            self.on_message(payload)
        except Exception:
            log.exception("cache invalidation for %r failed", payload)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(q.LISTEN)
                    self.ready.set()
                    # Anything may have changed while we were not listening.
                    self._deliver("reset")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.2):
                            self._deliver(note.payload)
            except Exception as exc:  # dropped connection: drop caches, reconnect
                if self._stop.is_set():
                    return
                log.warning("cache listener lost its connection (%s); reconnecting", exc)
                self._deliver("reset")
                self._stop.wait(1.0)
