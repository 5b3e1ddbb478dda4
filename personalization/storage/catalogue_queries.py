"""SQL for the catalogue's links to other catalogues (``film_external_ids``, sql/V004)."""

# Storing ids is two statements in one transaction: first an id that another film held is
# released (the import being run wins), then each (film, source) gets its id, replacing an old one.
RELEASE_EXTERNAL_IDS = """
DELETE FROM film_external_ids e
USING unnest(%(films)s::integer[], %(sources)s::text[], %(values)s::text[]) AS i (film_id, source, external_id)
WHERE e.source = i.source AND e.external_id = i.external_id AND e.film_id <> i.film_id"""
UPSERT_EXTERNAL_IDS = """
INSERT INTO film_external_ids (film_id, source, external_id)
SELECT * FROM unnest(%(films)s::integer[], %(sources)s::text[], %(values)s::text[])
ON CONFLICT (film_id, source) DO UPDATE SET external_id = EXCLUDED.external_id"""

FILMS_BY_EXTERNAL_ID = """
SELECT external_id, film_id FROM film_external_ids
WHERE source = %(source)s AND external_id = ANY(%(values)s::text[])"""

EXTERNAL_IDS_OF_FILM = "SELECT source, external_id FROM film_external_ids WHERE film_id = %s ORDER BY source"
