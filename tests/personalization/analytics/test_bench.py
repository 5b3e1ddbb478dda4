"""The bench runs and prints the documented JSON (shape only: speed is the bench's job)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from personalization.evaluation.bench import bench_command, percentiles


def test_percentiles_are_nearest_rank():
    seconds = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentiles(seconds) == (50.0, 99.0)
    assert percentiles([0.002]) == (2.0, 2.0)


def test_quick_bench_prints_the_json_shape():
    out = CliRunner().invoke(bench_command, ["--quick", "--json", "--no-http"])  # HTTP: test_bench_http.py
    assert out.exit_code == 0, out.output
    results = json.loads(out.output)["results"]
    assert len(results) == 8
    for r in results:
        assert set(r) == {"name", "p50_ms", "p99_ms", "per_s", "target", "met"}
        assert isinstance(r["met"], bool) and r["target"]
    names = " ".join(r["name"] for r in results)
    for case in ("learn_one", "rate", "recommend", "profile", "ingestion", "memory", "Polars", "DuckDB"):
        assert case in names


def test_versus_says_better_or_worse():
    from personalization.evaluation.bench import versus

    assert versus(2.5, 10, lower_is_better=True) == "4.0x better"
    assert versus(12.5, 10, lower_is_better=True) == "1.2x worse"
    assert versus(9000, 3000, lower_is_better=False) == "3.0x better"
