"""How many threads the numeric libraries may use, and how many malloc arenas the threads share:
set once, by each entry point.

The engine's products are small (one user x a catalogue): a multi-threaded BLAS only adds thread
wake-ups and contention (a 10,000 x 256 product took 5 ms instead of 0.2 ms on a busy 2-core
machine), and ``implicit`` does its own threading on top of a single-threaded BLAS.

glibc gives each new thread an arena of its own (up to 8 per core), and every arena keeps the
high-water mark of what its threads freed: a serving process with a thread per request grew that
way. In a 3-minute soak of 16 threads (``benchmarks/load.py``) the arenas held 27 MB free, and
growing; capped at two, 3 MB. ``MALLOC_ARENA_MAX`` set by the operator wins.

Importing ``personalization`` changes nothing; the entry points call ``configure_threads()``:
the ``cinesync`` command, the bot, the dashboard (its Streamlit process inherits the variable),
the benchmarks and the tests' ``conftest``.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["configure_threads", "cap_malloc_arenas", "BLAS_THREADS", "MALLOC_ARENAS"]

BLAS_THREADS = 1
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let the threads of this process (and, through ``MALLOC_ARENA_MAX``, of its children)
    share at most ``arenas`` glibc malloc arenas, unless ``MALLOC_ARENA_MAX`` is already set.
    Effective when called before the process started its ninth thread (glibc fixes the limit
    then). Returns whether this process's limit was set (False: set by the operator, or not
    glibc)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # read by a child's glibc when it starts
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # this process's C library
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))  # 1 on success; musl's stub returns 0


def configure_threads(blas_threads: int = BLAS_THREADS) -> None:
    """Limit BLAS to ``blas_threads`` unless ``OPENBLAS_NUM_THREADS`` is already set (an explicit
    setting wins). The variable reaches numpy when it is not loaded yet, and child processes;
    threadpoolctl covers a numpy that is already loaded. Also caps the malloc arenas
    (``cap_malloc_arenas``)."""
    cap_malloc_arenas()
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=blas_threads, user_api="blas")
