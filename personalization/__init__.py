"""CineSync Personalization: online movie-taste learning on PostgreSQL.

The learning core (``encoder``, ``signals``, ``user_model``, ``ranker``, ``preferences``,
``base_models``) is pure numpy; ``storage`` is the only code that speaks SQL; ``service`` composes
the two, one transaction per event, and is what every front-end calls.
"""

import os as _os

# The engine's products are small (one user x a catalogue): a multi-threaded BLAS only adds
# thread wake-ups and contention (a 10,000 x 256 product took 5 ms instead of 0.2 ms on a busy
# 2-core machine), and `implicit` asks for one thread too. The variable works when numpy is not
# loaded yet; threadpoolctl covers the case where it already is. An explicit setting wins.
if "OPENBLAS_NUM_THREADS" not in _os.environ:
    _os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import sys as _sys

    if "numpy" in _sys.modules:
        from threadpoolctl import threadpool_limits as _limits

        _limits(limits=1, user_api="blas")

__version__ = "0.1.0"
