"""Every SQL string the engine runs, in one place. Parameters are always bound, never formatted."""

# --- migrations -------------------------------------------------------------------------------
MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(727274001)"
CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
MIGRATIONS_TABLE_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL"
APPLIED_MIGRATIONS = "SELECT version FROM schema_migrations ORDER BY version"
RECORD_MIGRATION = "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)"

# --- notifications ----------------------------------------------------------------------------
NOTIFY = "SELECT pg_notify('cinesync_changes', %s)"
LISTEN = "LISTEN cinesync_changes"

# --- catalogue ----------------------------------------------------------------------------------
CATALOGUE = """
SELECT id, title, year, genres, directors, actors, metadata FROM movies ORDER BY id"""
FILM = "SELECT id, title, year, genres, directors, actors, metadata FROM movies WHERE id = %s"
# Titles containing the text; best first: the whole title, then titles starting with the text as
# whole words ("Star Wars" for "star"), then containing it as whole words, then starting with it
# ("Stargate"), shortest first. %(q)s is LIKE-escaped, %(words)s regex-escaped (see repository).
SEARCH_FILMS = """
SELECT id, title, year, genres, directors, actors, metadata FROM movies
WHERE title ILIKE '%%' || %(q)s || '%%'
ORDER BY (lower(title) = lower(%(text)s)) DESC,
         (title ~* ('^' || %(words)s || '\\M')) DESC,
         (title ~* ('\\m' || %(words)s || '\\M')) DESC,
         (title ILIKE %(q)s || '%%') DESC, length(title), id
LIMIT %(limit)s"""
UPSERT_MOVIE = """
INSERT INTO movies (id, title, year, genres, directors, actors, metadata)
VALUES (%(id)s, %(title)s, %(year)s, %(genres)s, %(directors)s, %(actors)s, %(metadata)s)
ON CONFLICT (id) DO UPDATE SET
    title = EXCLUDED.title, year = EXCLUDED.year, genres = EXCLUDED.genres,
    directors = CASE WHEN EXCLUDED.directors = '{}' THEN movies.directors ELSE EXCLUDED.directors END,
    actors = CASE WHEN EXCLUDED.actors = '{}' THEN movies.actors ELSE EXCLUDED.actors END,
    metadata = movies.metadata || EXCLUDED.metadata, updated_at = now()"""

# --- users and locks ----------------------------------------------------------------------------
ENSURE_USER = "INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING"
ENSURE_USERS = "INSERT INTO users (id) SELECT unnest(%s::bigint[]) ON CONFLICT (id) DO NOTHING"
SET_USER_NAME = "UPDATE users SET name = %s WHERE id = %s"
USER_EXISTS = "SELECT EXISTS (SELECT 1 FROM users WHERE id = %s)"
ENSURE_EMBEDDING = """
INSERT INTO user_embeddings (user_id, embedding, dim, model_version)
VALUES (%s, %s, %s, %s) ON CONFLICT (user_id) DO NOTHING"""
ENSURE_EMBEDDINGS = """
INSERT INTO user_embeddings (user_id, embedding, dim, model_version)
SELECT u, %s, %s, %s FROM unnest(%s::bigint[]) AS u ON CONFLICT (user_id) DO NOTHING"""
# Taken first by every transaction that writes for a user (an event, a bulk batch, forget): one
# lock that exists before the user's rows do, so a forget racing the user's first event cannot
# deadlock with it. Two-key form (its own key space); users sharing a key only wait for each other.
USER_LOCK = "SELECT pg_advisory_xact_lock(727274002, (%s::bigint %% 2147483647)::int)"
USER_LOCKS = """
SELECT count(pg_advisory_xact_lock(727274002, k)) FROM (
    SELECT DISTINCT (u %% 2147483647)::int AS k FROM unnest(%s::bigint[]) AS u ORDER BY k) AS keys"""
# The row lock that serialises every write for one user (two processes lose nothing).
# Read with a binary cursor: the embedding arrives as a numpy array (storage.vectors).
LOCK_EMBEDDING = """
SELECT embedding, dim, n_ratings, n_feedback, model_version, last_event_at
FROM user_embeddings WHERE user_id = %s FOR UPDATE"""
LOCK_EMBEDDINGS = """
SELECT user_id, embedding, dim, n_ratings, n_feedback, model_version, last_event_at
FROM user_embeddings WHERE user_id = ANY(%s) ORDER BY user_id FOR UPDATE"""
# An event's reads under the user's locks, in one statement (``Session.lock_event``): the
# embedding row (locked), what the user had said about the film, how many films they have a
# signal on, and the clock (the event's time when none is given). Run right after USER_LOCK: every
# writer takes that lock first, so the row lock never waits and the statement's snapshot is
# taken with the user's locks held.
LOCK_EVENT = """
SELECT e.embedding, e.dim, e.n_ratings, e.n_feedback, e.model_version, e.last_event_at,
       (SELECT stars FROM ratings WHERE user_id = %(u)s AND movie_id = %(f)s),
       EXISTS (SELECT 1 FROM feedback WHERE user_id = %(u)s AND movie_id = %(f)s),
       (SELECT count(*) FROM (SELECT movie_id FROM ratings WHERE user_id = %(u)s
                              UNION SELECT movie_id FROM feedback WHERE user_id = %(u)s) AS films),
       clock_timestamp()
FROM user_embeddings e WHERE e.user_id = %(u)s FOR UPDATE OF e"""
READ_EMBEDDING = """
SELECT embedding, dim, n_ratings, n_feedback, model_version, last_event_at
FROM user_embeddings WHERE user_id = %s"""
UPDATE_EMBEDDING = """
UPDATE user_embeddings SET embedding = %(embedding)s, dim = %(dim)s, n_ratings = %(n_ratings)s,
    n_feedback = %(n_feedback)s, model_version = %(version)s,
    last_event_at = GREATEST(last_event_at, %(at)s), updated_at = now()
WHERE user_id = %(user_id)s"""
# The same, and tell the other processes (delivered at commit) in the same round trip.
UPDATE_EMBEDDING_NOTIFY = f"""
WITH updated AS ({UPDATE_EMBEDDING} RETURNING user_id)
SELECT pg_notify('cinesync_changes', %(note)s) FROM updated"""

# --- ratings and feedback -----------------------------------------------------------------------
CLOCK = "SELECT clock_timestamp()"
# Whether the user already has a rating / feedback on the film, and the rating's stars.
PREVIOUS_SIGNAL = """
SELECT (SELECT stars FROM ratings WHERE user_id = %(u)s AND movie_id = %(f)s),
       EXISTS (SELECT 1 FROM feedback WHERE user_id = %(u)s AND movie_id = %(f)s)"""
# Time defaults to the clock at the write (under the user's lock: monotonic per user).
UPSERT_RATING = """
INSERT INTO ratings (user_id, movie_id, stars, rated_at)
VALUES (%s, %s, %s, coalesce(%s::timestamptz, clock_timestamp()))
ON CONFLICT (user_id, movie_id) DO UPDATE SET stars = EXCLUDED.stars, rated_at = EXCLUDED.rated_at
RETURNING rated_at"""
EXISTING_RATINGS = """
SELECT r.user_id, r.movie_id, r.stars, r.rated_at FROM ratings r
JOIN unnest(%s::bigint[], %s::int[]) AS k(u, f) ON r.user_id = k.u AND r.movie_id = k.f"""
USERS_WITH_FEEDBACK_ON = """
SELECT DISTINCT fb.user_id FROM feedback fb
JOIN unnest(%s::bigint[], %s::int[]) AS k(u, f) ON fb.user_id = k.u AND fb.movie_id = k.f"""
INSERT_FEEDBACK = """
INSERT INTO feedback (user_id, movie_id, kind, context, created_at)
VALUES (%s, %s, %s, %s, coalesce(%s::timestamptz, clock_timestamp()))
RETURNING created_at"""
# One effective signal per film: the latest rating or feedback; oldest first.
EFFECTIVE_SIGNALS = """
SELECT movie_id, stars, kind, at FROM (
    SELECT DISTINCT ON (movie_id) movie_id, stars, kind, at FROM (
        SELECT movie_id, stars, NULL::text AS kind, rated_at AS at, 0::bigint AS seq
        FROM ratings WHERE user_id = %(u)s
        UNION ALL
        SELECT movie_id, NULL::real, kind, created_at, id FROM feedback WHERE user_id = %(u)s
    ) AS events ORDER BY movie_id, at DESC, seq DESC
) AS latest ORDER BY at, movie_id"""
# Every film the user has a signal on (never to be recommended again), oldest signal first (the
# base models weigh recent ratings more and read what was rated last): the stored rating, if any,
# and the kind of the latest feedback when that is newer than the rating (the effective signal).
USER_HISTORY = """
SELECT movie_id, r.stars,
       CASE WHEN r.rated_at IS NULL OR fb.created_at > r.rated_at THEN fb.kind END
FROM (SELECT movie_id, stars, rated_at FROM ratings WHERE user_id = %(u)s) AS r
FULL JOIN (SELECT DISTINCT ON (movie_id) movie_id, kind, created_at FROM feedback
           WHERE user_id = %(u)s ORDER BY movie_id, created_at DESC, id DESC) AS fb USING (movie_id)
ORDER BY greatest(r.rated_at, fb.created_at), movie_id"""
# USER_HISTORY and the user's stored blend weights in one statement: one row per history film
# (oldest signal first) with the weights beside it, or a single row of NULL film when the
# history is empty; NULL weights when none are stored (``Session.history_and_weights``).
USER_HISTORY_WEIGHTS = """
SELECT h.movie_id, h.stars, h.kind, w.blend_weight, w.model_weights::text
FROM (SELECT 1) AS one
LEFT JOIN (SELECT blend_weight, model_weights FROM user_model_weights WHERE user_id = %(u)s) AS w ON true
LEFT JOIN (
    SELECT movie_id, r.stars,
           CASE WHEN r.rated_at IS NULL OR fb.created_at > r.rated_at THEN fb.kind END AS kind,
           greatest(r.rated_at, fb.created_at) AS at
    FROM (SELECT movie_id, stars, rated_at FROM ratings WHERE user_id = %(u)s) AS r
    FULL JOIN (SELECT DISTINCT ON (movie_id) movie_id, kind, created_at FROM feedback
               WHERE user_id = %(u)s ORDER BY movie_id, created_at DESC, id DESC) AS fb USING (movie_id)
) AS h ON true
ORDER BY h.at, h.movie_id"""
# Films rated or given feedback: what the threshold for personal picks counts.
COUNT_SIGNALS = """
SELECT count(*) FROM (SELECT movie_id FROM ratings WHERE user_id = %(u)s
                      UNION SELECT movie_id FROM feedback WHERE user_id = %(u)s) AS films"""
USER_RATINGS = "SELECT movie_id, stars FROM ratings WHERE user_id = %s ORDER BY movie_id"
ALL_RATINGS = """
SELECT user_id, movie_id, stars, extract(epoch FROM rated_at) FROM ratings ORDER BY rated_at, user_id, movie_id"""
# Sums rather than avg/stddev so a process can keep them up to date as it writes.
COMMUNITY_SUMS = "SELECT count(*), coalesce(sum(stars::float8), 0), coalesce(sum((stars::float8)^2), 0) FROM ratings"
CACHE_WRITE = "SET LOCAL synchronous_commit TO off"  # for derived rows only (profiles)

# --- profiles and weights -----------------------------------------------------------------------
UPSERT_PROFILE = """
INSERT INTO user_preferences (user_id, profile, n_ratings) VALUES (%s, %s, %s)
ON CONFLICT (user_id) DO UPDATE SET profile = EXCLUDED.profile, n_ratings = EXCLUDED.n_ratings,
    computed_at = now()"""
# The same upsert in one statement outside a transaction block: set_config(..., true) holds
# for the statement's own (implicit) transaction, whose commit then does not wait for the disk.
UPSERT_PROFILE_NO_WAIT = """
WITH no_wait AS (SELECT set_config('synchronous_commit', 'off', true))
INSERT INTO user_preferences (user_id, profile, n_ratings) SELECT %s, %s, %s FROM no_wait
ON CONFLICT (user_id) DO UPDATE SET profile = EXCLUDED.profile, n_ratings = EXCLUDED.n_ratings,
    computed_at = now()"""
# What a taste profile is computed from, in one statement: whether the user exists, their stored
# weights (NULL: none) and their ratings with their times (storage.time_queries' rows: film,
# stars, Unix time, oldest first), one row per rating, or a single row of NULL film when none.
PROFILE_INPUTS = """
SELECT EXISTS (SELECT 1 FROM users WHERE id = %(u)s), w.blend_weight, w.model_weights::text,
       r.movie_id, r.stars, extract(epoch FROM r.rated_at)::float8
FROM (SELECT 1) AS one
LEFT JOIN (SELECT blend_weight, model_weights FROM user_model_weights WHERE user_id = %(u)s) AS w ON true
LEFT JOIN (SELECT movie_id, stars, rated_at FROM ratings WHERE user_id = %(u)s) AS r ON true
ORDER BY r.rated_at, r.movie_id"""
MODEL_WEIGHTS = "SELECT blend_weight, model_weights FROM user_model_weights WHERE user_id = %s"
UPSERT_MODEL_WEIGHTS = """
INSERT INTO user_model_weights (user_id, blend_weight, model_weights) VALUES (%s, %s, %s)
ON CONFLICT (user_id) DO UPDATE SET blend_weight = EXCLUDED.blend_weight,
    model_weights = EXCLUDED.model_weights, updated_at = now()"""
ENGINE_SETTING = "SELECT value FROM engine_settings WHERE key = %s"
UPSERT_ENGINE_SETTING = """
INSERT INTO engine_settings (key, value) VALUES (%s, %s)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"""

# --- forget -------------------------------------------------------------------------------------
# users' ON DELETE CASCADE removes ratings, feedback, embeddings, preferences, weights and exposures.
COUNT_USER_ROWS = """
SELECT (SELECT count(*) FROM ratings WHERE user_id = %(u)s)
     + (SELECT count(*) FROM feedback WHERE user_id = %(u)s)
     + (SELECT count(*) FROM user_embeddings WHERE user_id = %(u)s)
     + (SELECT count(*) FROM user_preferences WHERE user_id = %(u)s)
     + (SELECT count(*) FROM user_model_weights WHERE user_id = %(u)s)
     + (SELECT count(*) FROM experiment_exposures WHERE user_id = %(u)s)
     + (SELECT count(*) FROM users WHERE id = %(u)s)"""
DELETE_USER = "DELETE FROM users WHERE id = %s"

# --- browsing (bot and dashboard) ---------------------------------------------------------------
SEARCH_USERS = """
SELECT u.id, u.name, coalesce(e.n_ratings, 0), coalesce(e.n_feedback, 0)
FROM users u LEFT JOIN user_embeddings e ON e.user_id = u.id
WHERE %(q)s = '' OR u.id::text = %(q)s OR u.name ILIKE '%%' || %(q)s || '%%'
ORDER BY coalesce(e.n_ratings, 0) DESC, u.id LIMIT %(limit)s"""
FILM_FANS = """
SELECT r.user_id, u.name, r.stars FROM ratings r JOIN users u ON u.id = r.user_id
WHERE r.movie_id = %s AND r.stars >= %s ORDER BY r.stars DESC, r.rated_at DESC, r.user_id LIMIT %s"""
ALL_EMBEDDINGS = """
SELECT user_id, embedding, n_ratings FROM user_embeddings WHERE n_ratings >= %s AND model_version = %s"""
RATINGS_PER_DAY = """
SELECT date_trunc('day', rated_at)::date AS day, count(*) FROM ratings GROUP BY 1 ORDER BY 1"""
FEEDBACK_PER_DAY = """
SELECT date_trunc('day', created_at)::date AS day, kind, count(*) FROM feedback GROUP BY 1, 2 ORDER BY 1, 2"""
STAR_DISTRIBUTION = "SELECT stars, count(*) FROM ratings GROUP BY stars ORDER BY stars"
GENRE_LOVE = """
SELECT g AS genre, count(*) FILTER (WHERE r.stars >= 4) AS loved, count(*) AS rated, avg(r.stars)::float8
FROM ratings r JOIN movies m ON m.id = r.movie_id, unnest(m.genres) AS g
GROUP BY g ORDER BY loved DESC, g"""
FILM_POPULARITY = """
SELECT movie_id, count(*) AS n, count(*) FILTER (WHERE stars >= 4) AS loved FROM ratings GROUP BY movie_id"""

# --- status -------------------------------------------------------------------------------------
STATUS_COUNTS = """
SELECT (SELECT count(*) FROM movies), (SELECT count(*) FROM users), (SELECT count(*) FROM ratings),
       (SELECT count(*) FROM feedback),
       (SELECT count(*) FROM user_embeddings WHERE n_ratings >= %s),
       (SELECT coalesce(json_agg(DISTINCT model_version), '[]') FROM user_embeddings)"""
