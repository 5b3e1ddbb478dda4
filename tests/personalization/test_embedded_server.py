"""The embedded PostgreSQL is shared: no command stops it under another (issue 16, item 5).

Before the fix, every command joined the server with pgserver's cleanup_mode "stop", so the
last cinesync process to exit stopped it, cutting off a `psql` on `cinesync db url`, the
dashboard or a bot. Now it keeps running and `cinesync db stop` is the one way to stop it,
warning about the clients it disconnects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

CINESYNC = str(Path(sys.executable).with_name("cinesync"))


def cinesync(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CINESYNC_DATABASE_URL"}
    return subprocess.run(
        [CINESYNC, *args], capture_output=True, text=True, timeout=180, env={**env, "CINESYNC_HOME": str(home)}
    )


@pytest.fixture
def home():
    # Not under pytest's basetemp: as root the server runs as another user (see conftest.py).
    path = Path(tempfile.mkdtemp(prefix="cinesync-shared-"))
    yield path
    from personalization.storage.db import stop_embedded

    try:
        stop_embedded(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_a_command_leaves_the_server_running_for_others_and_db_stop_warns(home):
    url = cinesync(home, "db", "url")
    assert url.returncode == 0, url.stderr
    with psycopg.connect(url.stdout.strip(), application_name="psql") as other:
        done = cinesync(home, "db", "migrate")  # joins the server, then exits
        assert done.returncode == 0, done.stderr
        assert other.execute("SELECT 1").fetchone() == (1,)  # still connected: not stopped under us

        stop = cinesync(home, "db", "stop")
        assert stop.returncode == 0, stop.stderr
        assert stop.stdout.strip() == "stopped"
        assert "warning: 1 client connected (psql) will be disconnected" in stop.stderr
        with pytest.raises(psycopg.OperationalError):
            other.execute("SELECT 1")
    assert cinesync(home, "db", "stop").stdout.strip() == "not running"
