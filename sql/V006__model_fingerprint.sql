-- What a published version was fitted on, as `cinesync train` reads it just before: the count of
-- the stored ratings and the sum of their row hashes (model_queries.RATINGS_FINGERPRINT). A
-- scheduled trainer, even one restarted, skips a training whose ratings and settings equal the
-- newest version's. NULL for versions published before this column existed.
ALTER TABLE model_versions ADD COLUMN ratings_fingerprint text;
