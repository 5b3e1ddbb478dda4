"""Storage: the only code that speaks SQL (psycopg 3). SQL strings live in ``queries``."""

from personalization.storage.db import Database, open_database, stop_embedded
from personalization.storage.migrations import migrate, migration_status

__all__ = ["Database", "open_database", "stop_embedded", "migrate", "migration_status"]
