"""End to end: `streamlit run` on a free port, driven by headless Chromium through Playwright.

Uses the system's Chromium (.ci/run installs it); Playwright never downloads a browser here.
Screenshots go to test-output/ (gitignored); docs/dashboard.png is a copy of one of them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART = "[data-testid='stVegaLiteChart']"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium; .ci/run does)"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(demo_db_url, tmp_path):
    """The dashboard served by `streamlit run` on the demo database; yields its address."""
    from dashboards.cli import streamlit_args

    port = free_port()
    env = {**os.environ, "CINESYNC_DATABASE_URL": demo_db_url, "CINESYNC_HOME": str(tmp_path / "home")}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(streamlit_args(port, "127.0.0.1"), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "streamlit.log").read_text()
            assert time.monotonic() < deadline, "streamlit did not come up in 30 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_charts(page, at_least: int = 1) -> None:
    """Streamlit draws in steps: wait until the script ran and the charts have drawn their canvas."""
    page.wait_for_selector(CHART, timeout=30_000)
    page.wait_for_function(
        """n => !document.querySelector("[data-testid='stStatusWidget']")
               && document.querySelectorAll("[data-testid='stVegaLiteChart'] canvas, "
                                            + "[data-testid='stVegaLiteChart'] svg.marks").length >= n""",
        arg=at_least,
        timeout=30_000,
    )
    page.wait_for_timeout(500)  # let vega finish its transitions before a screenshot


def test_dashboard_in_a_real_browser(served, demo_db_url):
    from playwright.sync_api import sync_playwright

    with psycopg.connect(demo_db_url) as conn:
        ratings = conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
        other_user = conn.execute("SELECT user_id FROM user_embeddings ORDER BY n_ratings, user_id LIMIT 1").fetchone()[
            0
        ]
        film_title = conn.execute("SELECT title FROM movies ORDER BY id DESC LIMIT 1").fetchone()[0]
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1250})
            page.goto(served)
            wait_for_charts(page, 3)
            metric = page.locator("[data-testid='stMetric']", has_text="Ratings").first
            assert re.sub(r"\D", "", metric.locator("[data-testid='stMetricValue']").inner_text()) == str(ratings)
            page.screenshot(path=str(OUTPUT / "dashboard-overview.png"), full_page=True)

            # The User explorer: change a widget (search another user), the charts follow.
            page.get_by_role("link", name="User explorer").click()
            wait_for_charts(page, 3)
            search = page.get_by_label("Find a user by id or name")
            search.fill(str(other_user))
            search.press("Enter")
            page.wait_for_function(  # the user picker now holds that user (its value is an input's)
                "id => [...document.querySelectorAll(\"[data-testid='stSelectbox'] input\")]"
                ".some(e => e.value.includes('(id ' + id + ','))",
                arg=other_user,
                timeout=30_000,
            )
            wait_for_charts(page, 3)
            chart = page.locator(CHART).first
            box = chart.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100
            assert page.locator("[data-testid='stException']").count() == 0
            page.set_viewport_size({"width": 1400, "height": 1700})  # Streamlit scrolls inside: show more
            wait_for_charts(page, 3)
            page.screenshot(path=str(OUTPUT / "dashboard-users.png"), full_page=True)

            # Films: a new search shows its first match in the picker and in the heading alike.
            page.get_by_role("link", name="Films").click()
            search = page.get_by_label("Find a film by title")
            search.fill(film_title)
            search.press("Enter")
            page.wait_for_function(
                "t => [...document.querySelectorAll(\"[data-testid='stSelectbox'] input\")]"
                ".some(e => e.value.startsWith(t))",
                arg=film_title,
                timeout=30_000,
            )
            wait_for_charts(page, 2)
            picked = page.locator("[data-testid='stSelectbox'] input").first.input_value()
            assert page.get_by_role("heading", name=picked).count() == 1
        finally:
            browser.close()
    assert (OUTPUT / "dashboard-overview.png").stat().st_size > 10_000
