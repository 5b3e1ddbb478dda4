"""What the HTTP API adds to the engine: recommend and rate in-process vs through `cinesync serve`.

    .venv/bin/python benchmarks/http_api.py [--requests 400] [--clients 4]

Uses CINESYNC_DATABASE_URL, or the embedded PostgreSQL under CINESYNC_HOME; loads the synthetic demo
data first if the database has no films. It writes ratings for a few users with ids from 9e15 up
and forgets them at the end. The server and the clients are those of `cinesync bench`'s HTTP
cases (``personalization.evaluation.http_bench``): a real `cinesync serve` process on a free port
(so the client and the server do not share a GIL), keep-alive connections, one client for
latency (each request right after the same call in-process), then ``--clients`` threads at once
for throughput. `cinesync bench` measures the same in
a temporary database of its own.
"""

from __future__ import annotations

import argparse
import random
import sys

from personalization.threads import configure_threads

configure_threads()  # an entry point: BLAS on one thread, before numpy loads

import numpy as np  # noqa: E402

from personalization.config import Settings  # noqa: E402
from personalization.evaluation import http_bench  # noqa: E402
from personalization.service import Service  # noqa: E402

BENCH_USER = 9_000_000_000_000_000


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.2f} ms  p99 {np.percentile(ms, 99):6.2f} ms  (n={len(ms)})"


def ensure_data(svc: Service) -> None:
    if svc.status().films:
        return
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens

    print("empty database: loading the synthetic demo data (300 users, 2000 films)", file=sys.stderr)
    data = read_movielens(write_movielens(generate(n_users=300, n_films=2000, seed=7), svc.settings.home / "demo-data"))
    svc.import_films(data.films)
    svc.rate_many(data.ratings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    n = args.requests
    settings = Settings.from_env()
    with Service.open(settings, listen=False) as svc:
        ensure_data(svc)
        svc.warm_up(background=False)
        films = [f.id for f in svc.catalogue().films]
        real_users = [u["id"] for u in svc.users("", limit=50)]
        rng = random.Random(1)
        picks = [rng.choice(real_users) for _ in range(n)]
        to_rate = [
            (BENCH_USER + i % 20, films[i % len(films)], rng.choice([1, 2, 3, 3.5, 4, 4.5, 5])) for i in range(2 * n)
        ]

        # each HTTP request right after the same call in-process: both meet the same load
        local = http_bench.Local(
            recommend=lambda user: svc.recommend(user, 10), rate=lambda i, *_: svc.rate(*to_rate[i])
        )
        key = http_bench.new_key()
        try:
            with http_bench.running_server(svc.db.url, settings.home, key) as base:
                figures = http_bench.measure(base, key, picks, to_rate[n:], clients=args.clients, local=local)
        finally:
            for u in range(20):
                svc.forget(BENCH_USER + u)

    in_rec, in_rate = figures.local_recommend, figures.local_rate
    print(f"recommend  in-process  {percentiles(in_rec)}")
    print(f"recommend  HTTP        {percentiles(figures.recommend)}")
    print(f"rate       in-process  {percentiles(in_rate)}")
    print(f"rate       HTTP        {percentiles(figures.rate)}")
    print(
        f"recommend  HTTP, {args.clients} clients: {figures.concurrent_per_s:7.1f} req/s  "
        f"{percentiles(figures.concurrent)}"
    )
    print(f"in-process recommend throughput (1 thread): {n / sum(in_rec):7.1f} req/s")


if __name__ == "__main__":
    main()
