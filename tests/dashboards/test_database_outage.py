"""The dashboard outlives its database: a short clear message while it is gone, back by itself.

The outage is real: the test's own database stops accepting connections and every session on it
is terminated (what `cinesync db stop` does to the dashboard's connections), then it accepts them
again. Issue 16, item 4.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dashboards.cli import APP

PAGES = ["overview", "users", "tuning", "films"]


@pytest.fixture
def outage(demo_db_url, pg_admin_url):
    """``outage(True)`` cuts the demo database off (sessions killed, connections refused)."""
    name = conninfo_to_dict(demo_db_url)["dbname"]

    def cut(down: bool) -> None:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
            if down:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

    yield cut
    cut(False)


def assert_no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def says_database_is_down(at) -> bool:
    return any(e.value.startswith("Cannot open the database") for e in at.error)


def test_pages_say_the_database_is_down_quickly_and_recover_when_it_is_back(demo_app, outage):
    at = demo_app()
    assert at.title[0].value == "Overview"

    outage(True)
    for page in PAGES:
        started = time.monotonic()
        at.switch_page(f"views/{page}.py").run()
        elapsed = time.monotonic() - started
        assert not at.exception, (page, [e.value for e in at.exception])
        assert says_database_is_down(at), (page, [e.value for e in at.error])
        assert elapsed < 10, f"{page}: the message took {elapsed:.1f} s"

    outage(False)
    for page, title in zip(PAGES, ["Overview", "User explorer", "Tuning", "Films"]):
        at.switch_page(f"views/{page}.py").run()
        assert_no_exception(at)
        assert at.title[0].value == title


def test_a_dashboard_started_while_the_database_is_down_comes_up_when_it_returns(demo_app, outage):
    from streamlit.testing.v1 import AppTest

    outage(True)
    at = AppTest.from_file(str(APP), default_timeout=60)  # demo_app has pointed it at the database
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 10
    assert not at.exception and says_database_is_down(at)

    outage(False)
    at.run()
    assert_no_exception(at)
    assert at.title[0].value == "Overview"


@pytest.fixture
def embedded_home(monkeypatch):
    """A CINESYNC_HOME whose embedded server this test owns, started by another process as the
    CLI would; the dashboard joins it. Not under pytest's basetemp (see tests/conftest.py)."""
    home = Path(tempfile.mkdtemp(prefix="cinesync-outage-"))
    monkeypatch.setenv("CINESYNC_HOME", str(home))
    monkeypatch.delenv("CINESYNC_DATABASE_URL", raising=False)
    start = f"from personalization.storage.db import start_embedded; start_embedded({str(home / 'pgdata')!r}, None)"
    yield home, lambda: subprocess.run([sys.executable, "-c", start], check=True, timeout=120)
    from dashboards import data

    data.close_all()
    cinesync("db", "stop")
    shutil.rmtree(home, ignore_errors=True)


def cinesync(*args: str) -> None:
    subprocess.run(
        [str(Path(sys.executable).with_name("cinesync")), *args], check=True, capture_output=True, timeout=120
    )


def test_the_dashboard_outlives_cinesync_db_stop(embedded_home):
    from streamlit.testing.v1 import AppTest

    from dashboards import data

    home, start_server = embedded_home
    start_server()
    data.close_all()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert_no_exception(at)

    cinesync("db", "stop")
    for _ in range(2):  # the lost connection, then a fresh attempt to open the database
        started = time.monotonic()
        at.run()
        assert not at.exception and says_database_is_down(at), [e.value for e in (*at.exception, *at.error)]
        assert time.monotonic() - started < 10

    start_server()
    at.run()
    assert_no_exception(at)
    assert at.title[0].value == "Overview"
