-- Every change of an engine-wide setting is a new version: the newest one is in force, and any
-- older one can be installed again (`cinesync settings rollback N`, which records a new version).
-- engine_settings keeps the value in force too (a mirror written in the same transaction), so
-- readers of that table (exports, older tools) see what the engine uses.
CREATE TABLE settings_history (
    key         text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    value       jsonb NOT NULL,                      -- the whole value after the change
    changes     jsonb NOT NULL DEFAULT '{}'::jsonb,  -- {name: [before, after]} for what changed
    source      text NOT NULL,                       -- where from: "cli settings set", "dashboard", ...
    author      text NOT NULL DEFAULT '',            -- who: operating-system user@host of the writer
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, version)
);

-- A value saved before this history existed becomes its key's version 1.
INSERT INTO settings_history (key, version, value, source, created_at)
SELECT key, 1, value, 'saved before settings history', updated_at FROM engine_settings;
