"""The HTTP API measured from outside: a real ``cinesync serve`` (uvicorn) on a free localhost
port, and clients on keep-alive connections. Shared by ``cinesync bench`` (its HTTP cases) and
``benchmarks/http_api.py`` (in-process next to HTTP on an existing database).

The server is its own process (as in production: the client and the server do not share a GIL).
Needs the ``[api]`` extra (FastAPI, uvicorn, httpx); ``available()`` says whether it is there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["HttpFigures", "Local", "available", "free_port", "new_key", "running_server", "serve_process", "measure"]

# `cinesync`, from this interpreter (works in a checkout without the console script on PATH)
CINESYNC = [sys.executable, "-c", "from personalization.cli import main; main()"]
Rating = tuple[int, int, float]  # user, film, stars


def available() -> bool:
    """Whether the ``[api]`` extra is installed (the server and the client need it)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("fastapi", "uvicorn", "httpx"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def new_key() -> str:
    """A throwaway write key for one benchmark's server."""
    return "bench-key-" + os.urandom(8).hex()


@contextmanager
def running_server(database_url: str | None, home: Path, key: str, *, timeout: float = 60.0) -> Iterator[str]:
    """``cinesync serve`` on a free port over ``database_url`` (None: the embedded server under
    ``home``), with ``key`` as its write key; yields the base URL once /healthz answers and stops
    the server with SIGTERM. Its output goes to ``home/serve-bench.log`` (shown if it fails)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CINESYNC_API_READ_KEY", "CINESYNC_DATABASE_URL")}
    env.update(CINESYNC_HOME=str(home), CINESYNC_API_KEY=key)
    if database_url is not None:
        env["CINESYNC_DATABASE_URL"] = database_url
    with serve_process(env, port, home / "serve-bench.log", timeout=timeout) as base:
        yield base


@contextmanager
def serve_process(
    env: dict[str, str], port: int, log_path: Path, *args: str, cwd: Path | None = None, timeout: float = 60.0
) -> Iterator[str]:
    """``cinesync serve --port PORT ARGS`` as a process with ``env``; yields its base URL once
    /healthz answers (its output, from ``log_path``, in the error if it never does) and stops it
    with SIGTERM. The benchmarks and the API tests both start their servers with it."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w+") as log:
        cmd = [*CINESYNC, "serve", "--port", str(port), *args]
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"cinesync serve did not start:\n{log.read()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(frozen=True)
class Local:
    """The same verbs called in-process, each timed right before its HTTP twin (so both meet the
    same load on a busy machine): ``recommend(user)``, ``rate(i, user, film, stars)``."""

    recommend: Callable[[int], object]
    rate: Callable[[int, int, int, float], object]


@dataclass(frozen=True)
class HttpFigures:
    """Seconds per request: one client for latency, then ``clients`` at once for throughput."""

    recommend: list[float]  # GET /users/{id}/recommendations?k=10, one client
    rate: list[float]  # PUT /users/{id}/ratings/{film}, one client
    concurrent: list[float]  # recommendations, ``clients`` clients at once
    concurrent_wall: float  # seconds the concurrent part took
    clients: int
    local_recommend: list[float] = field(default_factory=list)  # the in-process twins (``Local``)
    local_rate: list[float] = field(default_factory=list)

    @property
    def concurrent_per_s(self) -> float:
        return len(self.concurrent) / self.concurrent_wall if self.concurrent_wall > 0 else float("inf")

    @property
    def one_client_per_s(self) -> float:
        total = sum(self.recommend)
        return len(self.recommend) / total if total > 0 else float("inf")


def _timed(
    call: Callable[[int], Any], n: int, twin: Callable[[int], Any] | None = None
) -> tuple[list[float], list[float]]:
    """Seconds of ``call(i)`` for each i; with ``twin``, ``twin(i)`` timed just before each."""
    out: list[float] = []
    twins: list[float] = []
    for i in range(n):
        if twin is not None:
            start = time.perf_counter()
            twin(i)
            twins.append(time.perf_counter() - start)
        start = time.perf_counter()
        call(i)
        out.append(time.perf_counter() - start)
    return out, twins


def measure(
    base: str, key: str, picks: Sequence[int], to_rate: Sequence[Rating], clients: int = 4, local: Local | None = None
) -> HttpFigures:
    """Recommend for each of ``picks`` and store each of ``to_rate`` over one keep-alive
    connection (each call right after its in-process twin, with ``local``), then recommend for
    ``picks`` again from ``clients`` threads at once (each its own connection). Every answer must
    be a 2xx (``httpx.HTTPStatusError`` otherwise)."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for user in picks[:20]:  # warm the connection and the server's caches
            http.get(f"/users/{user}/recommendations", params={"k": 10}).raise_for_status()
            if local is not None:
                local.recommend(user)
        recommend, local_recommend = _timed(
            lambda i: http.get(f"/users/{picks[i]}/recommendations", params={"k": 10}).raise_for_status(),
            len(picks),
            None if local is None else lambda i: local.recommend(picks[i]),
        )
        rate, local_rate = _timed(
            lambda i: http.put(
                f"/users/{to_rate[i][0]}/ratings/{to_rate[i][1]}", json={"stars": to_rate[i][2]}
            ).raise_for_status(),
            len(to_rate),
            None if local is None else lambda i: local.rate(i, *to_rate[i]),
        )

    samples: list[list[float]] = [[] for _ in range(clients)]
    failures: list[BaseException] = []

    def client(k: int) -> None:
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                for i in range(k, len(picks), clients):
                    start = time.perf_counter()
                    c.get(f"/users/{picks[i]}/recommendations", params={"k": 10}).raise_for_status()
                    samples[k].append(time.perf_counter() - start)
        except BaseException as exc:  # reported by the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if failures:
        raise failures[0]
    return HttpFigures(
        recommend, rate, [s for part in samples for s in part], wall, clients, local_recommend, local_rate
    )
