"""The SQL of A/B tests (``storage.experiments``) and of a member's own data (export, forget
check). Parameters are always bound; table and column names only ever come from the catalog and
are quoted with ``psycopg.sql.Identifier``."""

EXPERIMENT_COLUMNS = "id, name, description, variants, status, created_at, stopped_at"

CREATE_EXPERIMENT = f"""
INSERT INTO experiments (name, description, variants) VALUES (%s, %s, %s)
RETURNING {EXPERIMENT_COLUMNS}"""
EXPERIMENTS = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments ORDER BY created_at DESC, id DESC"
RUNNING_EXPERIMENTS = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE status = 'running' ORDER BY id"
EXPERIMENT = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE name = %s"
STOP_EXPERIMENT = f"""
UPDATE experiments SET status = 'stopped', stopped_at = now() WHERE name = %s AND status = 'running'
RETURNING {EXPERIMENT_COLUMNS}"""

# Shown picks, in rank order (1 = first); the member's users row exists (see V005).
ENSURE_MEMBER = "INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING"
INSERT_EXPOSURES = """
INSERT INTO experiment_exposures (experiment_id, variant, user_id, film_id, rank)
SELECT %(experiment)s, %(variant)s, %(user)s, f, r FROM unnest(%(films)s::int[]) WITH ORDINALITY AS t(f, r)"""
EXPOSURE_COUNTS = """
SELECT experiment_id, count(*), count(DISTINCT user_id) FROM experiment_exposures GROUP BY experiment_id"""

# Per member of an experiment: distinct picks shown, and how many of them the member rated or
# reacted to after first seeing them ("acted"), and rated 4+ stars, loved or liked ("liked").
OUTCOMES = """
WITH shown AS (
    SELECT variant, user_id, film_id, min(shown_at) AS first_shown FROM experiment_exposures
    WHERE experiment_id = %(experiment)s GROUP BY variant, user_id, film_id
), judged AS (
    SELECT s.variant, s.user_id,
           r.stars IS NOT NULL OR fb.any_kind AS acted,
           coalesce(r.stars >= 4, false) OR fb.positive AS liked
    FROM shown s
    LEFT JOIN ratings r
           ON r.user_id = s.user_id AND r.movie_id = s.film_id AND r.rated_at >= s.first_shown
    CROSS JOIN LATERAL (
        SELECT count(*) > 0 AS any_kind, coalesce(bool_or(f.kind IN ('love', 'like')), false) AS positive
        FROM feedback f WHERE f.user_id = s.user_id AND f.movie_id = s.film_id AND f.created_at >= s.first_shown
    ) AS fb
)
SELECT variant, user_id, count(*), count(*) FILTER (WHERE acted), count(*) FILTER (WHERE liked)
FROM judged GROUP BY variant, user_id ORDER BY variant, user_id"""

# --- a member's own data ----------------------------------------------------------------------
# Every column of a base table in this schema that holds a user id: the users table's id, any
# column named user_id / user_ids / member_id / member_ids or ending in _user_id, and any column
# with a foreign key to users. (table, column, is an array, is text)
USER_ID_COLUMNS = """
WITH named AS (
    SELECT c.table_name::text AS tab, c.column_name::text AS col
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = current_schema()
      AND (c.column_name IN ('user_id', 'user_ids', 'member_id', 'member_ids')
           OR c.column_name LIKE '%%\\_user\\_id' OR c.column_name LIKE '%%\\_user\\_ids'
           OR (c.table_name = 'users' AND c.column_name = 'id'))
    UNION
    SELECT cl.relname::text, a.attname::text
    FROM pg_constraint k
    JOIN pg_class cl ON cl.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = current_schema()
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
    WHERE k.contype = 'f' AND k.confrelid = 'users'::regclass
)
SELECT named.tab, named.col, c.data_type = 'ARRAY', c.data_type IN ('text', 'character varying')
FROM named JOIN information_schema.columns c
  ON c.table_schema = current_schema() AND c.table_name = named.tab AND c.column_name = named.col
ORDER BY named.tab, named.col"""
SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"  # one consistent read
# Composed per table (storage.experiments.user_rows): {columns} is "col = %(u)s OR ..." with each
# column quoted; rows as JSON objects, in a stable order.
ROWS_OF_USER = "SELECT to_jsonb(t) FROM {table} AS t WHERE {condition} ORDER BY to_jsonb(t)::text"
COUNT_ROWS_OF_USER = "SELECT count(*) FROM {table} AS t WHERE {condition}"
