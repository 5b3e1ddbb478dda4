"""The SELECTs the analytics workspace runs to copy tables out of PostgreSQL (read-only).

Kept beside ``queries.py`` so that storage stays the only place with SQL that reads the engine's
tables. Every query returns plain columns that Polars maps without help: arrays stay arrays,
jsonb is sent as text (parsed by the caller), timestamps keep their time zone.
"""

MOVIES = """
SELECT id AS film_id, title, year, genres, directors, actors, metadata::text AS metadata
FROM movies ORDER BY id"""

USERS = "SELECT id AS user_id, name, created_at FROM users ORDER BY id"

RATINGS = """
SELECT user_id, movie_id AS film_id, stars::float8 AS stars, rated_at
FROM ratings ORDER BY rated_at, user_id, movie_id"""

FEEDBACK = """
SELECT id, user_id, movie_id AS film_id, kind, context::text AS context, created_at
FROM feedback ORDER BY id"""

EMBEDDINGS = """
SELECT user_id, embedding, dim, n_ratings, n_feedback, model_version, last_event_at, updated_at
FROM user_embeddings ORDER BY user_id"""

PROFILES = """
SELECT user_id, profile::text AS profile, n_ratings, computed_at
FROM user_preferences ORDER BY user_id"""

MODEL_WEIGHTS = """
SELECT user_id, blend_weight::float8 AS blend_weight, model_weights::text AS model_weights, updated_at
FROM user_model_weights ORDER BY user_id"""

ENGINE_SETTINGS = "SELECT key, value::text AS value, updated_at FROM engine_settings ORDER BY key"

# Table name -> query, in the order an export writes them.
TABLES = {
    "movies": MOVIES,
    "users": USERS,
    "ratings": RATINGS,
    "feedback": FEEDBACK,
    "user_embeddings": EMBEDDINGS,
    "user_preferences": PROFILES,
    "user_model_weights": MODEL_WEIGHTS,
    "engine_settings": ENGINE_SETTINGS,
}
