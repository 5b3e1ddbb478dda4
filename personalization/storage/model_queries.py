"""The SQL of the model store (``storage.models``): published model versions and what the trainer
reads. Parameters are always bound, never formatted."""

# --- published versions -----------------------------------------------------------------------
INSERT_VERSION = """
INSERT INTO model_versions (settings, n_ratings, engine, fit_seconds, ratings_fingerprint)
VALUES (%(settings)s, %(n_ratings)s, %(engine)s, %(fit_seconds)s, %(fingerprint)s)
RETURNING id"""
# %b: the arrays travel in binary (no hex text twice their size).
INSERT_ARRAYS = "INSERT INTO model_arrays (version_id, model, arrays) VALUES (%b, %b, %b)"
# Older versions than the newest ``keep`` go (their arrays with them: ON DELETE CASCADE).
DELETE_OLD_VERSIONS = """
DELETE FROM model_versions WHERE id NOT IN (SELECT id FROM model_versions ORDER BY id DESC LIMIT %s)"""
_VERSION_COLUMNS = """
SELECT v.id, v.created_at, v.settings, v.n_ratings, v.engine, v.fit_seconds,
       coalesce(array_agg(a.model ORDER BY a.model) FILTER (WHERE a.model IS NOT NULL), '{}'),
       coalesce(sum(octet_length(a.arrays)), 0), v.ratings_fingerprint
FROM model_versions v LEFT JOIN model_arrays a ON a.version_id = v.id"""
VERSIONS = _VERSION_COLUMNS + " GROUP BY v.id ORDER BY v.id DESC LIMIT %s"
VERSION = _VERSION_COLUMNS + " WHERE v.id = %s GROUP BY v.id"
# One statement, so one snapshot: the version and its arrays, even while a newer one is written
# and an older one deleted.
NEWEST_ARRAYS = """
SELECT a.version_id, a.model, a.arrays FROM model_arrays a
WHERE a.version_id = (SELECT max(id) FROM model_versions) AND a.model = ANY(%s)"""
VERSION_ARRAYS = "SELECT version_id, model, arrays FROM model_arrays WHERE version_id = %s AND model = ANY(%s)"
NEWEST_VERSION_ID = "SELECT max(id) FROM model_versions"
# The first statement of a read that must see one snapshot across several statements.
SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"

# --- what the trainer reads ---------------------------------------------------------------------
RATING_COUNT = "SELECT count(*) FROM ratings"
# What the trainer fits on, in two numbers: a rating added, removed, re-rated or moved in time
# changes the sum of its row hashes (``train --every`` skips a training when neither changed).
RATINGS_FINGERPRINT = """
SELECT count(*), coalesce(sum(hashtextextended(
    user_id::text || '/' || movie_id::text || '/' || stars::text || '/' || extract(epoch FROM rated_at)::text,
    0)), 0)::text
FROM ratings"""
# Every rating, oldest first, as binary COPY: fixed-width rows numpy reads without a Python
# object per rating (``models.read_ratings``).
COPY_RATINGS = """
COPY (SELECT user_id, movie_id, stars, extract(epoch FROM rated_at)::float8 FROM ratings
      ORDER BY rated_at, user_id, movie_id) TO STDOUT (FORMAT binary)"""
# How many people rated each film, and how many of them at least %s stars (popularity before the
# first published version).
FILM_COUNTS = """
SELECT movie_id, count(*) FILTER (WHERE stars >= %s), count(*) FROM ratings GROUP BY movie_id ORDER BY movie_id"""
