"""Run a transaction again when PostgreSQL asks for it: a serialization failure or a deadlock.

PostgreSQL rolls such a transaction back entirely (SQLSTATE 40001 and 40P01), so running the
whole unit of work again cannot apply anything twice; so does ``ConcurrentChange``, raised by the
storage code itself inside the transaction. Every other error (a constraint, a lost
connection whose commit may or may not have happened) goes to the caller unchanged: retrying
those could store an event twice. The number of attempts is bounded; the last failure is raised.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from psycopg import errors

__all__ = ["RETRYABLE", "ATTEMPTS", "ConcurrentChange", "retry_transaction"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConcurrentChange(Exception):
    """A row this transaction needed was changed under it by another one (a user forgotten while
    their first event was being written): roll back and run the transaction again."""


# What PostgreSQL asks the client to retry: the transaction was rolled back as a whole.
RETRYABLE: tuple[type[Exception], ...] = (errors.SerializationFailure, errors.DeadlockDetected, ConcurrentChange)
ATTEMPTS = 5
BASE_DELAY = 0.005  # seconds; doubled each attempt, with jitter so two retrying writers part ways


def retry_transaction(
    work: Callable[[], T], *, attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> T:
    """``work()``, run again (up to ``attempts`` times in all) while it fails with an error in
    ``RETRYABLE``. ``work`` must be one whole transaction: it opens, commits or rolls back its own."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except RETRYABLE as exc:
            if attempt == attempts:
                raise
            delay = BASE_DELAY * 2 ** (attempt - 1) * (0.5 + random.random())
            log.info(
                "transaction rolled back by PostgreSQL (%s); attempt %d of %d",
                type(exc).__name__,
                attempt + 1,
                attempts,
            )
            sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises
