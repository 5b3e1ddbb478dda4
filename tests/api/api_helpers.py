"""Keys, headers and a real `cinesync serve` process, shared by the API tests (a uniquely named
module: conftest.py is not importable)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

WRITE_KEY = "write-key-for-tests"
READ_KEY = "read-key-for-tests"
WRITE = {"Authorization": f"Bearer {WRITE_KEY}"}
READ = {"Authorization": f"Bearer {READ_KEY}"}
ROOT = Path(__file__).resolve().parents[2]
CINESYNC = [sys.executable, "-c", "from personalization.cli import main; main()"]  # `cinesync`, this venv


def counts(svc) -> tuple[int, int, int]:
    """Users, ratings and feedback rows: what a refused request must leave as it was."""
    s = svc.status()
    return s.users, s.ratings, s.feedback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(db_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CINESYNC_")}
    return {**env, "CINESYNC_DATABASE_URL": db_url, "CINESYNC_HOME": str(home), "OPENBLAS_NUM_THREADS": "1", **extra}


@contextmanager
def running_server(db_url: str, folder: Path, *args: str) -> Iterator[str]:
    """`cinesync serve` on a free port over ``db_url``, with both test keys; yields its base URL
    once /healthz answers, and stops it with SIGTERM."""
    port = free_port()
    env = serve_env(db_url, folder / "home", CINESYNC_API_KEY=WRITE_KEY, CINESYNC_API_READ_KEY=READ_KEY)
    with open(folder / "serve.log", "w+") as log:
        proc = subprocess.Popen(
            [*CINESYNC, "serve", "--port", str(port), *args], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"cinesync serve did not start:\n{log.read()}")
                time.sleep(0.2)
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
