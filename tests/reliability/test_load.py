"""The load bench in its short form: simulated members rating, giving feedback and asking for
picks at once, in-process and over the HTTP API; zero errors, bounded in count and time, memory
sampled. Speed is printed, not asserted (benchmarks/load.py gives the full figures)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import load  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Found by the full bench: Popularity.learn_one (run after each commit) replaces its count arrays
# one after the other while recommend reads them in another thread: now and then a broadcast
# error or IndexError reaches the caller (a race in core/base_models, reported, not fixed here).


@pytest.mark.slow
def test_members_at_once_in_process_make_no_errors(demo_db_url):
    users, films = load.populate(demo_db_url, 60, 400)  # the demo set is loaded already
    report = load.run(demo_db_url, members=6, ops=300, seconds=15, users=users, films=films)
    summary = report.summary()
    print("in-process", summary)
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["ops"] >= 60 and set(summary["per_op"]) == {"rate", "feedback", "recommend"}
    assert summary["cpu_ms_per_op"] > 0 and len(summary["load_average"]) == 3  # what the figures are read with


@pytest.mark.slow
def test_members_at_once_over_http_make_no_errors(demo_db_url):
    pytest.importorskip("httpx")
    users, films = load.populate(demo_db_url, 60, 400)
    report = load.run(demo_db_url, members=4, ops=120, seconds=15, http=True, port=free_port(), users=users,
                      films=films)  # fmt: skip
    summary = report.summary()
    print("http", summary)
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["ops"] >= 30
