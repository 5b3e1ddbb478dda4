"""The tests run on the PostgreSQL they were asked to run on, and it is a supported version.

Supported: PostgreSQL 14 and later, with no extension (docs/deploy.md). Tested by ``make test``
on the embedded server (pgserver's PostgreSQL 16) and, for the storage and service tests
(``make test-pg``), on Debian's PostgreSQL 15 in a throwaway cluster (tests/conftest.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg

OLDEST_SUPPORTED = 14


def test_the_server_is_a_supported_version_and_the_one_asked_for(pg_admin_url, request):
    with psycopg.connect(pg_admin_url) as conn:
        number = int(conn.execute("SHOW server_version_num").fetchone()[0])
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
    assert number // 10000 >= OLDEST_SUPPORTED, number
    assert extensions <= {"plpgsql"}, f"the schema must not need an extension: {extensions}"
    bindir = request.config.getoption("--pg-bindir")
    if bindir:
        version = subprocess.run([str(Path(bindir) / "postgres"), "--version"], capture_output=True, text=True)
        major = int(re.search(r"(\d+)\.\d+", version.stdout).group(1))
        assert number // 10000 == major, (number, version.stdout)
