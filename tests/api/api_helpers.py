"""Keys and headers the API tests share (a uniquely named module: conftest.py is not importable)."""

WRITE_KEY = "write-key-for-tests"
READ_KEY = "read-key-for-tests"
WRITE = {"Authorization": f"Bearer {WRITE_KEY}"}
READ = {"Authorization": f"Bearer {READ_KEY}"}


def counts(svc) -> tuple[int, int, int]:
    """Users, ratings and feedback rows: what a refused request must leave as it was."""
    s = svc.status()
    return s.users, s.ratings, s.feedback
