"""The bench's HTTP cases run at a tiny size against a real `cinesync serve` (shape only: the
figures are the bench's job)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi")

from personalization.evaluation.bench import QUICK, bench_http, format_table  # noqa: E402


def test_the_http_cases_run_at_a_tiny_size(demo_service, tmp_path):
    users = [u["id"] for u in demo_service.users("", 10)]
    films = demo_service.catalogue().ids
    before = demo_service.status().ratings

    results = bench_http(QUICK, demo_service, users, films, np.random.default_rng(0), tmp_path / "serve")

    assert [r.name for r in results] == [
        "recommend top-10, in-process beside HTTP",
        "HTTP recommend top-10 (1 client, keep-alive)",
        "rate, in-process beside HTTP",
        "HTTP rate (1 client, incl. commit)",
        f"HTTP recommend, {QUICK.http_clients} clients at once",
    ]
    for r in results:
        assert r.p50_ms is not None and r.p99_ms is not None and 0 < r.p50_ms <= r.p99_ms
        assert r.per_s is not None and r.per_s > 0
    for local, http in ((results[0], results[1]), (results[2], results[3])):
        assert local.p99_ms is not None
        assert http.target == f"p99 < {local.p99_ms + 3:,.{1 if local.p99_ms + 3 >= 1 else 3}f} ms (in-process + 3 ms)"
    # the rates went through the server and in-process into the same database, QUICK.http_requests each
    assert demo_service.status().ratings > before
    assert demo_service.history(5_100_000)[0] and demo_service.history(5_101_000)[0]
    table = format_table(results)
    assert table.count("| HTTP ") == 3 and table.count("beside HTTP") == 2
