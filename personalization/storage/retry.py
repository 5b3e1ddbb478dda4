"""Run a transaction again when PostgreSQL asks for it: a serialization failure or a deadlock.

PostgreSQL rolls such a transaction back entirely (SQLSTATE 40001 and 40P01), so running the
whole unit of work again cannot apply anything twice; so does ``ConcurrentChange``, raised by the
storage code itself inside the transaction, and a statement psycopg had prepared before a
migration changed the type of a column it returns ("cached plan must not change result type":
the rollback also drops the connection's prepared statements, so the next run prepares afresh).
Every other error (a constraint, a lost connection whose commit may or may not have happened)
goes to the caller unchanged: retrying those could store an event twice. The number of attempts
is bounded; the last failure is raised.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from psycopg import errors

__all__ = ["RETRYABLE", "ATTEMPTS", "ConcurrentChange", "retry_transaction", "is_stale_prepared_statement"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConcurrentChange(Exception):
    """A row this transaction needed was changed under it by another one (a user forgotten while
    their first event was being written): roll back and run the transaction again."""


# What PostgreSQL asks the client to retry: the transaction was rolled back as a whole.
RETRYABLE: tuple[type[Exception], ...] = (errors.SerializationFailure, errors.DeadlockDetected, ConcurrentChange)
ATTEMPTS = 5
BASE_DELAY = 0.005  # seconds; doubled each attempt, with jitter so two retrying writers part ways
STALE_PLAN = "cached plan must not change result type"


def is_stale_prepared_statement(exc: BaseException) -> bool:
    """A statement prepared on this connection before a migration changed its result's type."""
    return isinstance(exc, errors.FeatureNotSupported) and STALE_PLAN in str(exc)


def retry_transaction(
    work: Callable[[], T], *, attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> T:
    """``work()``, run again (up to ``attempts`` times in all) while it fails with an error in
    ``RETRYABLE`` or a stale prepared statement. ``work`` must be one whole transaction: it opens,
    commits or rolls back its own."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if attempt == attempts or not (isinstance(exc, RETRYABLE) or is_stale_prepared_statement(exc)):
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
