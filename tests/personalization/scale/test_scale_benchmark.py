"""benchmarks/scale.py at its smallest preset: it runs end to end (generate, import, train in its
own process, a serving process) and prints every figure of its report. Speed is not checked here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "scale.py"


@pytest.mark.slow
def test_the_tiny_preset_prints_a_complete_report():
    out = subprocess.run(  # its own embedded PostgreSQL in a temporary folder, stopped at the end
        [sys.executable, str(SCRIPT), "--preset", "tiny", "--requests", "20"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    rows = dict(re.findall(r"^\| ([^|]+?) \| (.+?) \|$", out.stdout, re.M))
    assert set(rows) == {
        "measure",
        "data",
        "import",
        "import CPU",
        "train",
        "serving warm-up",
        "serving RSS after warm-up",
        "recommend, cold user",
        "recommend, warm user",
        "rate",
    }
    assert re.match(r"[\d,]+ ratings, 300 users, 400 films", rows["data"])
    assert re.match(r"[\d,]+ ratings/s", rows["import"])
    assert re.match(r"[\d.]+ s, peak RSS [\d,]+ MB|not available", rows["train"])
    for case in ("recommend, cold user", "recommend, warm user", "rate"):
        assert re.fullmatch(r"p50 [\d.]+ ms, p99 [\d.]+ ms", rows[case]), rows[case]
    assert re.match(r"[\d,]+ MB", rows["serving RSS after warm-up"])
