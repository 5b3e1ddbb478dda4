"""The bench's HTTP cases run at a tiny size against a real `cinesync serve` (shape only: the
figures are the bench's job)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi")

from personalization.evaluation.bench import QUICK, BenchResult, bench_http, format_table  # noqa: E402


def test_the_http_cases_run_at_a_tiny_size(demo_service, tmp_path):
    users = [u["id"] for u in demo_service.users("", 10)]
    films = demo_service.catalogue().ids
    in_process = [BenchResult("recommend top-10 over 400 films (warm)", 1.0, 2.0, 500.0, "p99 < 10 ms", True)]
    before = demo_service.status().ratings

    results = bench_http(QUICK, demo_service, users, films, np.random.default_rng(0), tmp_path / "serve", in_process)

    assert [r.name for r in results] == [
        "HTTP recommend top-10 (1 client, keep-alive)",
        "HTTP rate (1 client, incl. commit)",
        f"HTTP recommend, {QUICK.http_clients} clients at once",
    ]
    for r in results:
        assert r.p50_ms is not None and r.p99_ms is not None and 0 < r.p50_ms <= r.p99_ms
        assert r.per_s is not None and r.per_s > 0
    assert results[0].target == "p99 < 5.0 ms (in-process + 3 ms)"  # next to the in-process figure
    assert results[1].target == "(no in-process figure to compare)"
    # the rates went through the server into the same database
    assert demo_service.status().ratings > before
    table = format_table(results)
    assert table.count("| HTTP ") == 3
