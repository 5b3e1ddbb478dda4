"""Load: many simulated members rating, giving feedback and asking for picks at once.

    python benchmarks/load.py                       # in-process, 16 members, 20 s or 20,000 ops
    python benchmarks/load.py --http                # the same through `cinesync serve` (loopback)
    python benchmarks/load.py --soak 600            # a 10-minute soak: memory sampled every 10 s

Bounded in count (--ops) and time (--seconds); the HTTP server listens on 127.0.0.1 only. The
database is a throwaway embedded PostgreSQL holding a synthetic community (--users, --films),
unless --url names one. Prints throughput, p50/p99 latency per operation and overall, errors,
the CPU-seconds spent per operation (this process; with the embedded server, PostgreSQL's too),
the load average, and (with --soak) the resident memory over time. ``run`` is what
tests/reliability calls.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalization.threads import configure_threads

configure_threads()

import numpy as np  # noqa: E402

from personalization.config import Settings  # noqa: E402
from personalization.service import Service  # noqa: E402

MIX = (("rate", 0.4), ("feedback", 0.2), ("recommend", 0.4))
KINDS = ("love", "like", "dislike", "hate", "not_interested")
KEY = "load-bench-key-0123456789"
Op = Callable[[str, int, int, random.Random], None]  # one operation: name, user, film, randomness


@dataclass
class Report:
    ops: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0
    memory: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MB)
    cpu_seconds: float = 0.0  # this process's CPU over the run (user + system, every thread)
    server_cpu_seconds: float | None = None  # PostgreSQL's (its processes), when they are known
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end (1, 5, 15 minutes)

    def summary(self) -> dict:
        every = np.array([x for xs in self.latencies.values() for x in xs]) * 1000
        per_op = {
            op: {"n": len(xs), "p50_ms": round(float(np.percentile(xs, 50)) * 1000, 2),
                 "p99_ms": round(float(np.percentile(xs, 99)) * 1000, 2)}
            for op, xs in sorted(self.latencies.items()) if xs
        }  # fmt: skip
        return {
            "ops": self.ops,
            "seconds": round(self.seconds, 2),
            "ops_per_s": round(self.ops / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(float(np.percentile(every, 50)), 2) if len(every) else None,
            "p99_ms": round(float(np.percentile(every, 99)), 2) if len(every) else None,
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            "per_op": per_op,
            "memory_mb": [(round(t), round(m, 1)) for t, m in self.memory],
            "cpu_ms_per_op": round(1000 * self.cpu_seconds / self.ops, 3) if self.ops else None,
            "server_cpu_ms_per_op": (
                round(1000 * self.server_cpu_seconds / self.ops, 3)
                if self.ops and self.server_cpu_seconds is not None
                else None
            ),
            "load_average": list(self.load_average),
        }


def rss_mb(pid: int | None = None) -> float:
    """Resident memory now (not the peak), from /proc."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_cpu(datadir: Path | None) -> float | None:
    """CPU-seconds used so far by the PostgreSQL server of ``datadir`` (its postmaster and the
    processes it started: backends, WAL writer, ...), from /proc; None when unknown."""
    if datadir is None:
        return None
    try:
        with open(datadir / "postmaster.pid") as f:
            master = int(f.readline())
    except (OSError, ValueError):
        return None
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(entry) == master or int(fields[1]) == master:  # fields: state, ppid, ..., utime (11), stime (12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def populate(url: str, users: int, films: int, seed: int = 7) -> tuple[list[int], list[int]]:
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens

    with tempfile.TemporaryDirectory() as folder:
        data = read_movielens(write_movielens(generate(n_users=users, n_films=films, mean_ratings=30, seed=seed),
                                              Path(folder)))  # fmt: skip
    with Service.open(Settings(home=Path("/nonexistent")), url=url, listen=False) as svc:
        if svc.status().ratings == 0:
            svc.import_films(data.films)
            svc.rate_many(data.ratings)
        film_ids = [f.id for f in svc.catalogue().films]
    return sorted({u for u, *_ in data.ratings}), film_ids


def in_process(url: str) -> tuple[Op, Callable[[], None], Callable]:
    svc = Service.open(Settings(home=Path("/nonexistent"), pool_max=8), url=url)
    svc.warm_up(background=False)

    def op(name: str, user: int, film: int, rng: random.Random) -> None:
        if name == "rate":
            svc.rate(user, film, rng.choice([1.0, 2.5, 3.0, 4.0, 4.5, 5.0]))
        elif name == "feedback":
            svc.feedback(user, film, rng.choice(KINDS))
        else:
            svc.recommend(user, 10)

    return op, svc.close, lambda: rss_mb()


def over_http(
    url: str, port: int
) -> tuple[Callable[[str, int, int, random.Random], None], Callable[[], None], Callable]:
    import httpx

    env = {**os.environ, "CINESYNC_DATABASE_URL": url, "CINESYNC_API_KEY": KEY, "CINESYNC_POOL_MAX": "8"}
    cinesync = str(Path(sys.executable).with_name("cinesync"))
    server = subprocess.Popen(
        [cinesync, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    local = threading.local()
    headers = {"Authorization": f"Bearer {KEY}"}

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, headers=headers, timeout=10)
        return local.client

    def op(name: str, user: int, film: int, rng: random.Random) -> None:
        c = client()
        if name == "rate":
            r = c.put(f"/users/{user}/ratings/{film}", json={"stars": rng.choice([1.0, 3.0, 4.0, 5.0])})
        elif name == "feedback":
            r = c.post(f"/users/{user}/feedback", json={"film_id": film, "kind": rng.choice(KINDS)})
        else:
            r = c.get(f"/users/{user}/recommendations", params={"k": 10})
        if r.status_code >= 400:
            raise RuntimeError(f"{name}: HTTP {r.status_code} {r.text[:200]}")

    def close() -> None:
        server.terminate()
        server.wait(30)

    return op, close, lambda: rss_mb(server.pid)


def run(
    url: str, *, members: int = 16, ops: int = 20_000, seconds: float = 20.0, http: bool = False, port: int = 8765,
    users: list[int] | None = None, films: list[int] | None = None, sample_every: float = 10.0, seed: int = 1,
    datadir: Path | None = None,
) -> Report:  # fmt: skip
    """Run the load against ``url`` and return what happened (``datadir``: the embedded server's
    data directory, to count its CPU too)."""
    if users is None or films is None:
        users, films = populate(url, 200, 1000)
    op, close, memory = over_http(url, port) if http else in_process(url)
    report = Report()
    lock = threading.Lock()
    stop = threading.Event()
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    started = time.perf_counter()
    cpu0, server0 = time.process_time(), server_cpu(datadir)

    def member(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        mine = rng.sample(users, min(len(users), 8))  # a simulated member speaks for a few users
        while not stop.is_set():
            with lock:
                if report.ops >= ops:
                    return
                report.ops += 1
            name = rng.choices(names, weights)[0]
            t0 = time.perf_counter()
            try:
                op(name, rng.choice(mine), rng.choice(films), rng)
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-3:]
                at = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(where))
                with lock:
                    report.errors.append(f"{name}: {type(exc).__name__}: {exc} [at {at}]"[:400])
            elapsed = time.perf_counter() - t0
            with lock:
                report.latencies[name].append(elapsed)

    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(members)]
    for t in threads:
        t.start()
    report.memory.append((0.0, memory()))
    next_sample = sample_every
    while any(t.is_alive() for t in threads):
        now = time.perf_counter() - started
        if now >= seconds:
            stop.set()
        if now >= next_sample:
            report.memory.append((now, memory()))
            next_sample += sample_every
        time.sleep(0.05)
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu0  # over the HTTP: the client's only
    server1 = server_cpu(datadir)
    if server0 is not None and server1 is not None:
        report.server_cpu_seconds = server1 - server0
    report.load_average = os.getloadavg()
    report.memory.append((report.seconds, memory()))
    close()
    return report


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` above zero, or a clear usage error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a PostgreSQL URL (default: a throwaway embedded server)")
    parser.add_argument("--members", type=_positive(int), default=16, help="simulated members at once")
    parser.add_argument("--ops", type=_positive(int), default=20_000, help="stop after this many operations")
    parser.add_argument("--seconds", type=_positive(float), default=20.0, help="stop after this long")
    parser.add_argument("--http", action="store_true", help="through `cinesync serve` on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--soak", type=_positive(float), metavar="SECONDS", help="run this long (ops unbounded), sample memory"
    )
    parser.add_argument("--users", type=_positive(int), default=200, help="members in the synthetic community")
    parser.add_argument("--films", type=_positive(int), default=1000, help="films in the synthetic catalogue")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    seconds, ops = (args.soak, 10**12) if args.soak else (args.seconds, args.ops)
    home = None
    url = args.url
    if url is None:
        from personalization.storage.db import start_embedded

        home = Path(tempfile.mkdtemp(prefix="cinesync-load-"))
        url = start_embedded(home / "pgdata", "delete").get_uri()
    try:
        users, films = populate(url, args.users, args.films)
        report = run(url, members=args.members, ops=ops, seconds=seconds, http=args.http, port=args.port,
                     users=users, films=films, sample_every=10.0 if args.soak else 5.0,
                     datadir=home / "pgdata" if home is not None else None)  # fmt: skip
    finally:
        if home is not None:  # stopped first: removing the folder of a running server orphans it
            from personalization.storage.db import stop_embedded

            stop_embedded(home)
            shutil.rmtree(home, ignore_errors=True)
    summary = report.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        where = "HTTP (cinesync serve, loopback)" if args.http else "in-process"
        print(f"{where}: {args.members} members, {summary['ops']} ops in {summary['seconds']} s")
        print(f"  throughput {summary['ops_per_s']} ops/s, p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
              f"errors {summary['errors']}")  # fmt: skip
        for name, s in summary["per_op"].items():
            print(f"  {name:<10} n={s['n']:<7} p50 {s['p50_ms']} ms  p99 {s['p99_ms']} ms")
        who = "the client process" if args.http else "this process"
        server = summary["server_cpu_ms_per_op"]
        print(f"  CPU per op: {summary['cpu_ms_per_op']} ms in {who}"
              + (f", {server} ms in PostgreSQL" if server is not None else "")
              + f"; load average at the end {' '.join(f'{x:.2f}' for x in summary['load_average'])}")  # fmt: skip
        print("  memory (s, RSS MB):", summary["memory_mb"])
        for e in summary["first_errors"]:
            print("  error:", e)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
