"""How many threads the numeric libraries may use: set once, by each entry point.

The engine's products are small (one user x a catalogue): a multi-threaded BLAS only adds thread
wake-ups and contention (a 10,000 x 256 product took 5 ms instead of 0.2 ms on a busy 2-core
machine), and ``implicit`` does its own threading on top of a single-threaded BLAS.

Importing ``personalization`` changes nothing; the entry points call ``configure_threads()``:
the ``cinesync`` command, the bot, the dashboard (its Streamlit process inherits the variable),
the benchmarks and the tests' ``conftest``.
"""

from __future__ import annotations

import os
import sys

__all__ = ["configure_threads", "BLAS_THREADS"]

BLAS_THREADS = 1


def configure_threads(blas_threads: int = BLAS_THREADS) -> None:
    """Limit BLAS to ``blas_threads`` unless ``OPENBLAS_NUM_THREADS`` is already set (an explicit
    setting wins). The variable reaches numpy when it is not loaded yet, and child processes;
    threadpoolctl covers a numpy that is already loaded."""
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=blas_threads, user_api="blas")
