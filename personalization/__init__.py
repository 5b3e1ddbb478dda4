"""CineSync Personalization: online movie-taste learning on PostgreSQL.

The learning core (``encoder``, ``signals``, ``user_model``, ``ranker``, ``preferences``,
``base_models``) is pure numpy; ``storage`` is the only code that speaks SQL; ``service`` composes
the two, one transaction per event, and is what every front-end calls.
"""

import os as _os

# The engine's products are small (one user x a catalogue): a multi-threaded BLAS only adds
# thread wake-ups and contention (10x slower under load, measured), and `implicit` asks for one
# thread too. Set before numpy is first imported; an explicit setting by the user wins.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
