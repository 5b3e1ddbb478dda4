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
COPY_INTO_STAGING = "COPY ingest_staging (user_id, movie_id, stars, at, seq) FROM STDIN (FORMAT binary)"
# One row per user (in id order): their films, stars and times as arrays, oldest first (ties in
# file order). Read with a binary cursor: the arrays arrive as numpy arrays (``bulk``'s loaders).
STAGING_BY_USER = """
SELECT user_id, array_agg(movie_id ORDER BY at, seq), array_agg(stars::float8 ORDER BY at, seq),
       array_agg(at ORDER BY at, seq)
FROM ingest_staging GROUP BY user_id ORDER BY user_id"""

# --- one chunk of users, in the writing transaction ---------------------------------------------
# Every stored rating of these users (the import compares each row with the stored one).
RATINGS_OF_USERS = """
SELECT user_id, movie_id, stars, extract(epoch FROM rated_at)::float8 FROM ratings WHERE user_id = ANY(%s)"""
# New ratings go straight in; ratings that replace stored ones go through a temporary table
# (deleted at each commit). Both come deduplicated (the last per user and film).
COPY_INTO_RATINGS = "COPY ratings (user_id, movie_id, stars, rated_at) FROM STDIN (FORMAT binary)"
CREATE_REPLACED = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_replaced (
    user_id bigint NOT NULL, movie_id integer NOT NULL, stars real NOT NULL, rated_at timestamptz NOT NULL
) ON COMMIT DELETE ROWS"""
COPY_INTO_REPLACED = "COPY ingest_replaced (user_id, movie_id, stars, rated_at) FROM STDIN (FORMAT binary)"
UPDATE_REPLACED = """
UPDATE ratings r SET stars = x.stars, rated_at = x.rated_at FROM ingest_replaced x
WHERE r.user_id = x.user_id AND r.movie_id = x.movie_id"""
# The films these users gave feedback on (a user with feedback on an imported film is rebuilt).
FEEDBACK_OF_USERS = "SELECT DISTINCT user_id, movie_id FROM feedback WHERE user_id = ANY(%s)"
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
# The foreign keys of the COPY into ratings are checked by the importer before it writes (every
# film is in the catalogue, every user was created under its lock in this transaction); their
# row-by-row triggers cost most of the COPY (about 5x measured here), so a superuser connection
# skips them for that one statement (what pg_restore --disable-triggers does). Others keep them.
IS_SUPERUSER = "SELECT current_setting('is_superuser') = 'on'"
SKIP_TRIGGERS = "SET LOCAL session_replication_role = replica"
RUN_TRIGGERS = "SET LOCAL session_replication_role = origin"
