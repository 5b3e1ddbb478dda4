"""Run dashboard pages under Streamlit's AppTest on the per-test databases of tests/conftest.py.

The app finds its database through CINESYNC_DATABASE_URL, exactly as in production. The cached
services are closed and the cached reads cleared after every test, before its database is
dropped (``demo_app``/``empty_app`` depend on the database fixture, so they tear down first).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

# As `cinesync dashboard` serves it (dashboards/cli.py): no magic, so no ast.parse per page load
# (CPython 3.11 can fail it when another thread parses at the same time).
streamlit_config.set_option("runner.magicEnabled", False)


def _runner(monkeypatch, home: Path, url: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CINESYNC_HOME", str(home))
    monkeypatch.setenv("CINESYNC_DATABASE_URL", url)

    def run(page: str | None = None):
        """The dashboard, run once (on ``page``, a file name in dashboards/views), no exception."""
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        if page:
            at.switch_page(f"views/{page}.py").run()
        assert_no_exception(at)
        return at

    return run


def assert_no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _listeners() -> int:
    return sum(t.name == "cinesync-listener" for t in threading.enumerate())


@contextmanager
def _closed_afterwards():
    """Clear the app's caches around a test and check its cached Service was really closed."""
    from dashboards import data

    data.close_all()
    before = _listeners()
    yield
    data.close_all()
    assert _listeners() <= before, "a cached Service outlived its test"


@pytest.fixture
def demo_app(demo_db_url, monkeypatch, tmp_path):
    with _closed_afterwards():
        yield _runner(monkeypatch, tmp_path / "home", demo_db_url)


@pytest.fixture
def empty_app(db_url, monkeypatch, tmp_path):
    with _closed_afterwards():
        yield _runner(monkeypatch, tmp_path / "home", db_url)
