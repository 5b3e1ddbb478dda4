"""The SQL of operations: the health check, and emptying the tables before a Parquet import."""

PING = "SELECT 1"
# The engine's tables, children first (so a delete never trips a foreign key); those of later
# migrations are emptied only where they exist.
TABLES_CHILDREN_FIRST = (
    "model_arrays",
    "model_versions",
    "film_external_ids",
    "user_model_weights",
    "user_preferences",
    "user_embeddings",
    "feedback",
    "ratings",
    "users",
    "movies",
    "engine_settings",
    "settings_history",
)
TABLE_EXISTS = "SELECT to_regclass(%s) IS NOT NULL"
EMPTY_TABLE = "DELETE FROM {table}"  # formatted only with names from TABLES_CHILDREN_FIRST
COUNT_ROWS = "SELECT (SELECT count(*) FROM movies) + (SELECT count(*) FROM users) + (SELECT count(*) FROM ratings)"
# One COPY per exported table; the columns in the order `cinesync export parquet` writes them.
COPY_IN = {
    "movies": "COPY movies (id, title, year, genres, directors, actors, metadata) FROM STDIN",
    "users": "COPY users (id, name, created_at) FROM STDIN",
    "ratings": "COPY ratings (user_id, movie_id, stars, rated_at) FROM STDIN",
    "feedback": "COPY feedback (id, user_id, movie_id, kind, context, created_at) FROM STDIN",
    "user_embeddings": (
        "COPY user_embeddings (user_id, embedding, dim, n_ratings, n_feedback, model_version, last_event_at,"
        " updated_at) FROM STDIN"
    ),
    "user_preferences": "COPY user_preferences (user_id, profile, n_ratings, computed_at) FROM STDIN",
    "user_model_weights": "COPY user_model_weights (user_id, blend_weight, model_weights, updated_at) FROM STDIN",
    "engine_settings": "COPY engine_settings (key, value, updated_at) FROM STDIN",
}
# Imported settings become the newest version of their key's history (an export holds the
# settings in force, not their history): `settings show|history` then agree with what is in force.
RECORD_IMPORTED_SETTINGS = """
INSERT INTO settings_history (key, version, value, source)
SELECT e.key, coalesce(max(h.version), 0) + 1, e.value, %s
FROM engine_settings e LEFT JOIN settings_history h ON h.key = e.key
GROUP BY e.key, e.value"""
# The next feedback id follows the imported ones.
RESET_FEEDBACK_IDS = """
SELECT setval(pg_get_serial_sequence('feedback', 'id'), coalesce((SELECT max(id) FROM feedback), 0) + 1, false)"""
NOTIFY = "SELECT pg_notify('cinesync_changes', %s)"
