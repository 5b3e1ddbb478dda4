"""One load at a time, shared by everyone who asked for it meanwhile ("single flight").

When a cache is empty (first use, or every cache was dropped after an outage) many request
threads want the same thing loaded from the database at once. Loading it once per thread wastes
the pool; loading it under a lock that the others wait on makes the last waiter pay every load's
wait in turn: with the pool reconnecting, four threads each waited up to 2 s for a connection,
one after the other. Here the first caller loads and the others wait for *its* outcome, a value
or an exception, so no call waits for more than one load. The next call after a flight ended
starts a new one (a failure is not remembered).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: tuple[T] | None = None  # (the value,) once loaded
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """``run(load)``: ``load()``'s outcome, shared by every call made while it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flight: _Flight[T] | None = None

    def run(self, load: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if not leader:
            flight.done.wait()
        else:
            try:
                flight.value = (load(),)
            except BaseException as exc:
                flight.error = exc
            finally:
                with self._lock:
                    self._flight = None
                flight.done.set()
        if flight.value is None:
            assert flight.error is not None
            raise flight.error
        return flight.value[0]
