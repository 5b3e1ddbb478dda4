"""CineSync Personalization: online movie-taste learning on PostgreSQL.

The learning core (``encoder``, ``signals``, ``user_model``, ``ranker``, ``preferences``,
``base_models``) is pure numpy; ``storage`` is the only code that speaks SQL; ``service`` composes
the two, one transaction per event, and is what every front-end calls.
"""

__version__ = "0.1.0"
