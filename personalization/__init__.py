"""CineSync Personalization: online movie-taste learning on PostgreSQL.

The learning core (``core``: encoder, signals, user model, ranker, preferences, base models) is
pure numpy; ``storage`` is the only code that speaks SQL; ``service`` composes the two, one
transaction per event, and is what every front-end calls. Importing the package has no side
effects: entry points call ``personalization.threads.configure_threads()``.
"""

__version__ = "0.1.0"
