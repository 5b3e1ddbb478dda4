"""The SQL of the settings history (``settings_history``, migration V003): every change of an
engine-wide setting is a new numbered version; the newest is in force."""

# One writer at a time per key, so versions are numbered without gaps or collisions.
LOCK_KEY = "SELECT pg_advisory_xact_lock(727274003, hashtext(%s))"
# The value in force: the newest version, else a value written before the history existed.
CURRENT = """
SELECT coalesce(
    (SELECT value FROM settings_history WHERE key = %(key)s ORDER BY version DESC LIMIT 1),
    (SELECT value FROM engine_settings WHERE key = %(key)s))"""
NEXT_VERSION = "SELECT coalesce(max(version), 0) + 1 FROM settings_history WHERE key = %s"
INSERT_VERSION = """
INSERT INTO settings_history (key, version, value, changes, source, author)
VALUES (%(key)s, %(version)s, %(value)s, %(changes)s, %(source)s, %(author)s)
RETURNING key, version, value, changes, source, author, created_at"""
# The mirror that older readers (exports) see.
UPSERT_MIRROR = """
INSERT INTO engine_settings (key, value) VALUES (%s, %s)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"""
NOTIFY = "SELECT pg_notify('cinesync_changes', %s)"
HISTORY = """
SELECT key, version, value, changes, source, author, created_at FROM settings_history
WHERE key = %s ORDER BY version DESC LIMIT %s"""
VERSION = """
SELECT key, version, value, changes, source, author, created_at FROM settings_history
WHERE key = %s AND version = %s"""
