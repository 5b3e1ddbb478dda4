"""Keys, headers and a real `cinesync serve` process, shared by the API tests (a uniquely named
module: conftest.py is not importable)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personalization.evaluation.http_bench import CINESYNC, free_port, serve_process

__all__ = ["CINESYNC", "READ", "READ_KEY", "WRITE", "WRITE_KEY", "counts", "free_port", "running_server", "serve_env"]

WRITE_KEY = "write-key-for-tests"
READ_KEY = "read-key-for-tests"
WRITE = {"Authorization": f"Bearer {WRITE_KEY}"}
READ = {"Authorization": f"Bearer {READ_KEY}"}
ROOT = Path(__file__).resolve().parents[2]


def counts(svc) -> tuple[int, int, int]:
    """Users, ratings and feedback rows: what a refused request must leave as it was."""
    s = svc.status()
    return s.users, s.ratings, s.feedback


def serve_env(db_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINESYNC_")}
    return {**env, "CINESYNC_DATABASE_URL": db_url, "CINESYNC_HOME": str(home), "OPENBLAS_NUM_THREADS": "1", **extra}


@contextmanager
def running_server(db_url: str, folder: Path, *args: str) -> Iterator[str]:
    """`cinesync serve` on a free port over ``db_url``, with both test keys; yields its base URL
    once /healthz answers, and stops it with SIGTERM."""
    env = serve_env(db_url, folder / "home", CINESYNC_API_KEY=WRITE_KEY, CINESYNC_API_READ_KEY=READ_KEY)
    with serve_process(env, free_port(), folder / "serve.log", *args, cwd=folder) as base:
        yield base
