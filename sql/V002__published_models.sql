-- Collaborative models published by `cinesync train`: one trainer fits them, every serving
-- process (bot, dashboard, HTTP server, CLI) loads the newest version instead of fitting.
CREATE TABLE model_versions (
    id          bigserial PRIMARY KEY,              -- the version: newer is larger
    created_at  timestamptz NOT NULL DEFAULT now(),
    settings    jsonb NOT NULL,                     -- the model settings used (flat names)
    n_ratings   bigint NOT NULL CHECK (n_ratings >= 0),  -- stored ratings they were fitted on
    engine      text NOT NULL DEFAULT 'numpy',      -- what fitted them: numpy (implicit, scipy), spark
    fit_seconds real                                -- how long reading and fitting took
);

-- One row per base model of a version: its state as named numeric arrays, written with
-- np.savez and read with allow_pickle=False (numbers only, never pickle).
CREATE TABLE model_arrays (
    version_id  bigint NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    model       text NOT NULL,                      -- the base model's registry name
    arrays      bytea NOT NULL,
    PRIMARY KEY (version_id, model)
);
-- Float arrays barely compress: store them out of line as they are (no pglz on every write).
ALTER TABLE model_arrays ALTER COLUMN arrays SET STORAGE EXTERNAL;
