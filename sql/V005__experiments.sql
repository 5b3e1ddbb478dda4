-- A/B tests (docs/experiments.md). An experiment names its variants, each with the per-member
-- ranking settings it overrides; members are assigned to a variant by a hash of the experiment's
-- name and their id (computed, never stored: the same member is in the same variant in every
-- process). What was shown to whom, at which rank, is an exposure; outcomes (ratings and feedback
-- on shown picks after they were shown) are read from ratings and feedback at report time.
CREATE TABLE experiments (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    -- [{"name": "A", "settings": {}}, {"name": "B", "settings": {"blend_weight": 0.8}}]: in
    -- order, the first is the control every other variant is compared with.
    variants    jsonb NOT NULL CHECK (jsonb_typeof(variants) = 'array' AND jsonb_array_length(variants) >= 2),
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at  timestamptz,
    CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);

-- One row per pick shown to a member in a running experiment. The member's row in users exists
-- (created with the first exposure if need be), so forgetting them removes their exposures too.
CREATE TABLE experiment_exposures (
    id            bigserial PRIMARY KEY,
    experiment_id integer NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    variant       text NOT NULL,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    film_id       integer NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    rank          integer NOT NULL CHECK (rank >= 1),
    shown_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The report reads one experiment's exposures; export and forget read one member's.
CREATE INDEX experiment_exposures_experiment_idx ON experiment_exposures (experiment_id, user_id, film_id);
CREATE INDEX experiment_exposures_user_idx ON experiment_exposures (user_id);
