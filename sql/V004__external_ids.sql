-- The same film in other catalogues: its IMDb id (tt0111161), TMDb id and MovieLens movieId.
-- One id per film and source, and one film per id: this is how a MovieLens history, an IMDb
-- catalogue and a member's Letterboxd or IMDb export meet on the same films. Written by the
-- importers together with the film (and copied into movies.metadata as imdb_id, tmdb_id,
-- movielens_id, so every film read carries its links).
CREATE TABLE film_external_ids (
    film_id     integer NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    source      text NOT NULL CHECK (source IN ('imdb', 'tmdb', 'movielens')),
    external_id text NOT NULL CHECK (external_id <> ''),
    PRIMARY KEY (film_id, source),
    UNIQUE (source, external_id)
);
