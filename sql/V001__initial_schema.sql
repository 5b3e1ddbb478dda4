-- The engine's tables. Plain PostgreSQL 14+: no extensions.

CREATE TABLE movies (
    id          integer PRIMARY KEY,
    title       text NOT NULL,
    year        integer CHECK (year IS NULL OR year BETWEEN 1850 AND 2200),
    genres      text[] NOT NULL DEFAULT '{}',
    directors   text[] NOT NULL DEFAULT '{}',
    actors      text[] NOT NULL DEFAULT '{}',
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,   -- room for more (tags, language, ...)
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          bigint PRIMARY KEY,        -- engine user id (a Discord snowflake fits)
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per user and film; re-rating replaces the row.
CREATE TABLE ratings (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id    integer NOT NULL REFERENCES movies (id),
    stars       real NOT NULL CHECK (stars BETWEEN 0.5 AND 5 AND stars * 2 = round(stars * 2)),
    rated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, movie_id)
);
-- Per-film reads (who rated this film, popularity refits) use this.
CREATE INDEX ratings_movie_id_idx ON ratings (movie_id);

CREATE TABLE feedback (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id    integer NOT NULL REFERENCES movies (id),
    kind        text NOT NULL CHECK (kind IN ('love', 'like', 'dislike', 'hate', 'not_interested')),
    context     jsonb NOT NULL DEFAULT '{}'::jsonb,  -- where it came from: command, position...
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- A user's feedback history (rebuild, exclusions) is read by user.
CREATE INDEX feedback_user_id_idx ON feedback (user_id, movie_id);

CREATE TABLE user_embeddings (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    embedding     real[] NOT NULL,          -- float32 values, never pickle
    dim           integer NOT NULL,
    n_ratings     integer NOT NULL DEFAULT 0,
    n_feedback    integer NOT NULL DEFAULT 0,
    model_version text NOT NULL,
    last_event_at timestamptz,              -- newest signal folded in (out-of-order => rebuild)
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The last computed preference profile (a cache of ``preferences.analyse``).
CREATE TABLE user_preferences (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    profile     jsonb NOT NULL,
    n_ratings   integer NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- Per-user blend weight of the personal term and per-base-model weights.
CREATE TABLE user_model_weights (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    blend_weight  real NOT NULL CHECK (blend_weight BETWEEN 0 AND 1),
    model_weights jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Engine-wide settings chosen by people (e.g. tuned defaults saved from the dashboard).
CREATE TABLE engine_settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
