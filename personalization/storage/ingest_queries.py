"""The SQL of bulk ingestion: a staging table filled by COPY, read back in user order, and the
set-wise writes of one chunk of users. Parameters are always bound, never formatted."""

# --- staging: the whole file, on the importing connection only (a temporary table: no WAL, gone
# with the session) -------------------------------------------------------------------------------
CREATE_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staging (
    user_id bigint NOT NULL, movie_id integer NOT NULL, stars real NOT NULL, at float8 NOT NULL,
    seq bigint NOT NULL)"""
TRUNCATE_STAGING = "TRUNCATE ingest_staging"
DROP_STAGING = "DROP TABLE IF EXISTS ingest_staging"
COPY_INTO_STAGING = "COPY ingest_staging (user_id, movie_id, stars, at, seq) FROM STDIN (FORMAT csv)"
# Each user's ratings together, oldest first; ties in file order (``seq``).
COPY_STAGING_BY_USER = """
COPY (SELECT user_id, movie_id, stars, at FROM ingest_staging ORDER BY user_id, at, seq) TO STDOUT (FORMAT csv)"""

# --- one chunk of users, in the writing transaction ---------------------------------------------
# Every stored rating of these users (the import compares each row with the stored one).
RATINGS_OF_USERS = """
SELECT user_id, movie_id, stars, extract(epoch FROM rated_at)::float8 FROM ratings WHERE user_id = ANY(%s)"""
# The rows to write, deduplicated (the last per user and film); deleted at each commit.
CREATE_APPLIED = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_applied (
    user_id bigint NOT NULL, movie_id integer NOT NULL, stars real NOT NULL, at float8 NOT NULL
) ON COMMIT DELETE ROWS"""
COPY_INTO_APPLIED = "COPY ingest_applied (user_id, movie_id, stars, at) FROM STDIN (FORMAT csv)"
UPSERT_APPLIED = """
INSERT INTO ratings (user_id, movie_id, stars, rated_at)
SELECT user_id, movie_id, stars, to_timestamp(at) FROM ingest_applied
ON CONFLICT (user_id, movie_id) DO UPDATE SET stars = EXCLUDED.stars, rated_at = EXCLUDED.rated_at"""
# ``queries.EFFECTIVE_SIGNALS`` for many users at once: one signal per user and film (the latest
# rating or feedback), each user's oldest first.
EFFECTIVE_SIGNALS_OF_USERS = """
SELECT user_id, movie_id, stars, kind FROM (
    SELECT DISTINCT ON (user_id, movie_id) user_id, movie_id, stars, kind, at FROM (
        SELECT user_id, movie_id, stars, NULL::text AS kind, rated_at AS at, 0::bigint AS seq
        FROM ratings WHERE user_id = ANY(%(u)s)
        UNION ALL
        SELECT user_id, movie_id, NULL::real, kind, created_at, id FROM feedback WHERE user_id = ANY(%(u)s)
    ) AS events ORDER BY user_id, movie_id, at DESC, seq DESC
) AS latest ORDER BY user_id, at, movie_id"""
