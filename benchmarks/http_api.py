"""What the HTTP API adds to the engine: recommend and rate in-process vs through `cinesync serve`.

    .venv/bin/python benchmarks/http_api.py [--requests 400] [--clients 4]

Uses CINESYNC_DATABASE_URL, or the embedded PostgreSQL under CINESYNC_HOME; loads the synthetic demo
data first if the database has no films. It writes ratings for a few users with ids from 9e15 up
and forgets them at the end. The server is a real `cinesync serve` process on a free port (so the
client and the server do not share a GIL); requests go over keep-alive connections, one client
for latency, then ``--clients`` threads at once for throughput.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import numpy as np

from personalization.config import Settings
from personalization.service import Service

BENCH_USER = 9_000_000_000_000_000
KEY = "bench-key-" + os.urandom(8).hex()


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.2f} ms  p99 {np.percentile(ms, 99):6.2f} ms  (n={len(ms)})"


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def ensure_data(svc: Service) -> None:
    if svc.status().films:
        return
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens

    print("empty database: loading the synthetic demo data (300 users, 2000 films)", file=sys.stderr)
    data = read_movielens(write_movielens(generate(n_users=300, n_films=2000, seed=7), svc.settings.home / "demo-data"))
    svc.import_films(data.films)
    svc.rate_many(data.ratings)


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "CINESYNC_API_KEY": KEY}
    code = "from personalization.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("cinesync serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    n = args.requests
    with Service.open(Settings.from_env(), listen=False) as svc:
        ensure_data(svc)
        svc.warm_up(background=False)
        films = [f.id for f in svc.catalogue().films]
        real_users = [u["id"] for u in svc.users("", limit=50)]
        rng = random.Random(1)
        picks = [rng.choice(real_users) for _ in range(n)]
        to_rate = [
            (BENCH_USER + i % 20, films[i % len(films)], rng.choice([1, 2, 3, 3.5, 4, 4.5, 5])) for i in range(2 * n)
        ]

        in_rec = timed(lambda i: svc.recommend(picks[i], 10), n)
        in_rate = timed(lambda i: svc.rate(*to_rate[i]), n)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = start_server(port)
        try:
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
                for i in range(20):  # warm the connection and the server's caches
                    http.get(f"/users/{picks[i]}/recommendations")
                http_rec = timed(
                    lambda i: http.get(f"/users/{picks[i]}/recommendations", params={"k": 10}).raise_for_status(), n
                )
                http_rate = timed(
                    lambda i: http.put(
                        f"/users/{to_rate[n + i][0]}/ratings/{to_rate[n + i][1]}", json={"stars": to_rate[n + i][2]}
                    ).raise_for_status(),
                    n,
                )

            def client(samples: list[float], k: int) -> None:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as c:
                    for i in range(k, n, args.clients):
                        start = time.perf_counter()
                        c.get(f"/users/{picks[i]}/recommendations", params={"k": 10}).raise_for_status()
                        samples.append(time.perf_counter() - start)

            conc: list[float] = []
            threads = [threading.Thread(target=client, args=(conc, k)) for k in range(args.clients)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            for u in range(20):
                svc.forget(BENCH_USER + u)

    print(f"recommend  in-process  {percentiles(in_rec)}")
    print(f"recommend  HTTP        {percentiles(http_rec)}")
    print(f"rate       in-process  {percentiles(in_rate)}")
    print(f"rate       HTTP        {percentiles(http_rate)}")
    print(f"recommend  HTTP, {args.clients} clients: {len(conc) / wall:7.1f} req/s  {percentiles(conc)}")
    print(f"in-process recommend throughput (1 thread): {n / sum(in_rec):7.1f} req/s")


if __name__ == "__main__":
    main()
