"""``cinesync bench``: latency and throughput of the engine, measured on this machine.

Everything runs against a real PostgreSQL: the embedded server under a temporary home of its
own (never the user's data), loaded with synthetic films and ratings through the public verbs.
Each case reports p50/p99 latency and throughput next to its target:

==============================  ============================================================
learn_one (in memory)           ``OnlineUserModel.learn_one``, 256-d: p99 < 50 us
rate (service, incl. commit)    ``Service.rate``, one transaction each: p50 < 2 ms, p99 < 10 ms
recommend top-10 (warm)         ``Service.recommend`` over 10,000 films: p99 < 10 ms
profile (1,000 ratings)         ``Service.profile`` recomputed each call: p99 < 20 ms
HTTP recommend, rate            through a real ``cinesync serve`` on localhost, one keep-alive
                                client, each request right after the same call in-process:
                                p99 within 3 ms of the in-process p99 (issue 13)
HTTP recommend, N clients       the same, N clients at once: at least one client's throughput
ingestion (rate_many)           what ``cinesync import ratings`` calls: >= 5,000 ratings/s
memory per cached user          ``cache.VectorCache`` of 100,000 256-d float32 users: <= 1.2 KB
batch preferences (Polars)      ``analytics.preferences_polars`` on 1,000,000 ratings: < 10 s
batch preferences (DuckDB)      ``analytics.preferences_duckdb`` on 1,000,000 ratings: < 10 s
==============================  ============================================================

``--quick`` shrinks every case (a smoke test of the bench itself: its figures mean little).
Imported by every ``cinesync`` call through the entry point, so heavy imports stay inside.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import click

__all__ = ["BenchResult", "Sizes", "run_bench", "format_table", "format_comparison", "versus", "bench_command"]

KB = 1024


@dataclass(frozen=True)
class BenchResult:
    name: str
    p50_ms: float | None
    p99_ms: float | None
    per_s: float | None
    target: str
    met: bool


@dataclass(frozen=True)
class Sizes:
    """How big each case is (``FULL`` is what the targets are stated for)."""

    films: int = 10_000
    users: int = 300
    learn_events: int = 20_000
    rates: int = 1_000
    recommends: int = 300
    profiles: int = 200
    profile_ratings: int = 1_000
    ingest: int = 100_000
    cached_users: int = 100_000
    batch_ratings: int = 1_000_000
    http_requests: int = 400
    http_clients: int = 4


FULL = Sizes()
QUICK = Sizes(
    films=500,
    users=40,
    learn_events=500,
    rates=30,
    recommends=20,
    profiles=10,
    profile_ratings=200,
    ingest=2_000,
    cached_users=2_000,
    batch_ratings=20_000,
    http_requests=20,
    http_clients=2,
)


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds (nearest-rank, so p99 is a latency that really happened)."""
    ordered = sorted(seconds)

    def pick(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000.0

    return pick(0.50), pick(0.99)


def _timed(name: str, seconds: list[float], target: str, met: Callable[[float, float, float], bool]) -> BenchResult:
    p50, p99 = percentiles(seconds)
    per_s = len(seconds) / sum(seconds) if sum(seconds) > 0 else float("inf")
    return BenchResult(name, p50, p99, per_s, target, bool(met(p50, p99, per_s)))


# -- cases ---------------------------------------------------------------------------------------
def bench_memory(sizes: Sizes, dim: int = 256) -> BenchResult:
    """Resident memory of a ``VectorCache`` holding ``cached_users`` vectors, per user."""
    import numpy as np

    from personalization.service.cache import VectorCache

    vec = np.random.default_rng(0).standard_normal(dim).astype(np.float32)
    before = _rss_bytes()
    t0 = time.perf_counter()
    cache = VectorCache(sizes.cached_users, dim, ttl=3600.0)
    for user in range(10**12, 10**12 + sizes.cached_users):  # snowflake-sized ids, like Discord's
        cache.put(user, vec, 42)
    seconds = time.perf_counter() - t0
    per_user = (_rss_bytes() - before) / sizes.cached_users
    total_mb = per_user * FULL.cached_users / 1e6
    del cache
    return BenchResult(
        f"memory per cached user ({per_user / KB:.2f} KB; {total_mb:.0f} MB for 100,000 users)",
        None,
        None,
        sizes.cached_users / seconds,
        "<= 1.2 KB per 256-d float32 user",
        per_user <= 1.2 * KB,
    )


def _rss_bytes() -> int:
    import gc

    gc.collect()
    with open("/proc/self/statm") as fh:
        import os

        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_learn_one(sizes: Sizes, catalogue) -> BenchResult:
    import numpy as np

    from personalization.core.signals import stars_strength
    from personalization.core.user_model import OnlineUserModel, UserModel

    rng = np.random.default_rng(1)
    model = OnlineUserModel(UserModel(catalogue.matrix.shape[1]), lambda f: catalogue.matrix[f])
    n_users = max(1, sizes.learn_events // 50)
    films = rng.permutation(len(catalogue))  # no repeats per user: each event is a plain step
    stars = rng.integers(1, 11, sizes.learn_events) / 2
    seconds = []
    for i in range(sizes.learn_events):
        strength = stars_strength(float(stars[i]))
        t0 = time.perf_counter()
        model.learn_one(i % n_users, int(films[(i // n_users) % len(films)]), strength)
        seconds.append(time.perf_counter() - t0)
    return _timed("learn_one (in memory)", seconds, "p99 < 0.05 ms", lambda p50, p99, s: p99 < 0.05)


def bench_rate(sizes: Sizes, svc, film_ids, rng) -> BenchResult:
    seconds = []
    for i in range(sizes.rates):
        user, film = 5_000_000 + i % 50, int(rng.choice(film_ids))
        stars = float(rng.integers(1, 11)) / 2
        t0 = time.perf_counter()
        svc.rate(user, film, stars)
        seconds.append(time.perf_counter() - t0)
    return _timed(
        "rate (service, incl. commit)", seconds, "p50 < 2 ms, p99 < 10 ms", lambda p50, p99, s: p50 < 2 and p99 < 10
    )


def bench_recommend(sizes: Sizes, svc, user_ids) -> BenchResult:
    for user in user_ids[:5]:
        svc.recommend(user, 10)  # warm: catalogue, base model, vectors cached
    seconds = []
    for i in range(sizes.recommends):
        user = user_ids[i % len(user_ids)]
        t0 = time.perf_counter()
        svc.recommend(user, 10)
        seconds.append(time.perf_counter() - t0)
    return _timed(
        f"recommend top-10 over {len(svc.catalogue()):,} films (warm)",
        seconds,
        "p99 < 10 ms",
        lambda p50, p99, s: p99 < 10,
    )


def bench_profile(sizes: Sizes, svc, film_ids, rng) -> BenchResult:
    user = 6_000_000
    films = rng.choice(film_ids, size=min(sizes.profile_ratings, len(film_ids)), replace=False)
    start = time.time() - len(films)
    svc.rate_many([(user, int(f), float(rng.integers(1, 11)) / 2, start + i) for i, f in enumerate(films)])
    svc.profile(user)
    seconds = []
    for _ in range(sizes.profiles):
        svc.profiles.discard(user)  # measure the computation, not the cache
        t0 = time.perf_counter()
        svc.profile(user)
        seconds.append(time.perf_counter() - t0)
    return _timed(f"profile ({len(films):,} ratings, recomputed)", seconds, "p99 < 20 ms", lambda p50, p99, s: p99 < 20)


def bench_http(sizes: Sizes, svc, user_ids, film_ids, rng, home: Path) -> list[BenchResult]:
    """Recommend and rate through a real ``cinesync serve`` (uvicorn, its own process) over
    ``svc``'s database, each request right after the same call in-process (so both meet the same
    load): the HTTP rows' target is the in-process p99 + 3 ms. Then several clients at once.
    Ratings go to users 5,100,000 and up (HTTP) and 5,101,000 and up (in-process)."""
    from personalization.evaluation import http_bench

    n = sizes.http_requests
    picks = [int(user_ids[i % len(user_ids)]) for i in range(n)]
    to_rate = [(5_100_000 + i % 50, int(rng.choice(film_ids)), float(rng.integers(1, 11)) / 2) for i in range(n)]
    local = http_bench.Local(
        recommend=lambda user: svc.recommend(user, 10),
        rate=lambda i, user, film, stars: svc.rate(user + 1_000, film, stars),
    )
    key = http_bench.new_key()
    with http_bench.running_server(svc.db.url, home, key) as base:
        figures = http_bench.measure(base, key, picks, to_rate, clients=sizes.http_clients, local=local)

    def over_http(name: str, seconds: list[float], beside: BenchResult) -> BenchResult:
        limit = (beside.p99_ms or 0.0) + 3
        return _timed(name, seconds, f"p99 < {_ms(limit)} ms (in-process + 3 ms)", lambda p50, p99, s: p99 < limit)

    rec = _timed(
        "recommend top-10, in-process beside HTTP", figures.local_recommend, "p99 < 10 ms", lambda p50, p99, s: p99 < 10
    )
    rate = _timed(
        "rate, in-process beside HTTP",
        figures.local_rate,
        "p50 < 2 ms, p99 < 10 ms",
        lambda p50, p99, s: p50 < 2 and p99 < 10,
    )
    one = figures.one_client_per_s
    p50, p99 = percentiles(figures.concurrent)
    return [
        rec,
        over_http("HTTP recommend top-10 (1 client, keep-alive)", figures.recommend, rec),
        rate,
        over_http("HTTP rate (1 client, incl. commit)", figures.rate, rate),
        BenchResult(
            f"HTTP recommend, {figures.clients} clients at once",
            p50,
            p99,
            figures.concurrent_per_s,
            f">= 1 client's {one:,.0f}/s",
            figures.concurrent_per_s >= one,
        ),
    ]


def bench_ingest(sizes: Sizes, svc, film_ids, rng, batch_size: int = 5_000) -> BenchResult:
    n = sizes.ingest
    users = rng.integers(7_000_000, 7_000_000 + max(1, n // 40), n)
    films = rng.choice(film_ids, n)
    stars = rng.integers(1, 11, n) / 2
    start = time.time()
    events = list(zip(users.tolist(), films.tolist(), stars.tolist(), (start + i * 0.001 for i in range(n))))
    marks = [time.perf_counter()]
    t0 = marks[0]
    svc.rate_many(events, batch_size=batch_size, progress=lambda _: marks.append(time.perf_counter()))
    total = time.perf_counter() - t0
    per_batch = [b - a for a, b in zip(marks, marks[1:])]
    p50, p99 = percentiles(per_batch)
    per_s = n / total
    return BenchResult(
        f"ingestion, rate_many ({n:,} ratings; p50/p99 per {batch_size:,}-rating batch)",
        p50,
        p99,
        per_s,
        ">= 5,000 ratings/s",
        per_s >= 5_000,
    )


def batch_frames(n_ratings: int, *, n_users: int | None = None, n_films: int | None = None, seed: int = 5):
    """Synthetic ``ratings`` and ``movies`` frames of about ``n_ratings`` rows, made vectorised
    (``synthetic.generate`` simulates each user and is too slow for millions of ratings)."""
    import numpy as np
    import polars as pl

    from personalization.analytics.tables import conform
    from personalization.data.synthetic import GENRES

    rng = np.random.default_rng(seed)
    n_users = n_users or max(10, n_ratings // 100)
    n_films = n_films or max(100, min(20_000, n_ratings // 50))
    k = rng.integers(1, 4, n_films)
    genres = [list(rng.choice(GENRES, size=int(c), replace=False)) for c in k]
    directors = [[f"Director {int(d)}"] for d in rng.zipf(1.6, n_films) % max(5, n_films // 5)]
    cast_pool = np.array([f"Actor {i}" for i in range(max(20, n_films))])
    actors = [list(cast_pool[rng.zipf(1.3, int(c)) % len(cast_pool)]) for c in rng.integers(3, 9, n_films)]
    years = np.clip(2024 - rng.gamma(2.0, 12.0, n_films), 1930, 2024).astype(int)
    movies = conform(
        "movies",
        pl.DataFrame(
            {
                "film_id": np.arange(1, n_films + 1),
                "title": [f"Film {i}" for i in range(1, n_films + 1)],
                "year": years,
                "genres": genres,
                "directors": directors,
                "actors": actors,
            }
        ),
    )
    popularity = rng.lognormal(0.0, 1.1, n_films)
    m = int(n_ratings * 1.3)
    ratings = (
        pl.DataFrame(
            {
                "user_id": rng.integers(1, n_users + 1, m),
                "film_id": rng.choice(n_films, m, p=popularity / popularity.sum()) + 1,
                "stars": rng.integers(1, 11, m) / 2,
            }
        )
        .unique(["user_id", "film_id"], keep="first", maintain_order=True)
        .head(n_ratings)
    )
    return ratings, movies


def bench_batch(sizes: Sizes) -> list[BenchResult]:
    from personalization.analytics import preferences_duckdb, preferences_polars

    ratings, movies = batch_frames(sizes.batch_ratings)
    out = []
    for label, analyse in (("Polars", preferences_polars.analyse), ("DuckDB", preferences_duckdb.analyse)):
        t0 = time.perf_counter()
        result = analyse(ratings, movies)
        seconds = time.perf_counter() - t0
        out.append(
            BenchResult(
                f"batch preferences, {label} ({ratings.height:,} ratings, {result.users.height:,} users)",
                seconds * 1000,
                seconds * 1000,
                ratings.height / seconds,
                "< 10 s",
                seconds < 10,
            )
        )
    return out


# -- the whole run -------------------------------------------------------------------------------
def run_bench(
    sizes: Sizes = FULL,
    home: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
    *,
    http: bool | None = None,
) -> list[BenchResult]:
    """Run every case (the database cases in a fresh embedded PostgreSQL under ``home``). The
    HTTP cases run when the ``[api]`` extra is installed (``http`` None), or as told."""
    import tempfile

    import numpy as np

    from personalization.analytics.sandbox import close_sandbox, open_sandbox
    from personalization.evaluation.http_bench import available

    if http is None:
        http = available()
        if not http:
            say("HTTP: skipped (pip install 'cinesync-personalization[api]' to measure it)")
    results = [bench_memory(sizes)]
    say(f"memory: done; loading {sizes.films:,} films into a temporary database")
    with tempfile.TemporaryDirectory(prefix="cinesync-bench-") as tmp:
        svc = open_sandbox(
            Path(home or tmp), "synthetic", n_users=sizes.users, n_films=sizes.films, mean_ratings=40, seed=3
        )
        try:
            rng = np.random.default_rng(2)
            cat = svc.catalogue()
            film_ids = cat.ids
            results.append(bench_learn_one(sizes, cat))
            say("learn_one: done")
            results.append(bench_rate(sizes, svc, film_ids, rng))
            say("rate: done")
            users = [u["id"] for u in svc.users("", 50)]
            results.append(bench_recommend(sizes, svc, users))
            say("recommend: done")
            results.append(bench_profile(sizes, svc, film_ids, rng))
            say("profile: done")
            if http:
                results.extend(bench_http(sizes, svc, users, film_ids, rng, Path(tmp) / "serve"))
                say("HTTP: done")
            results.append(bench_ingest(sizes, svc, film_ids, rng))
            say("ingestion: done")
        finally:
            close_sandbox(svc)
    results.extend(bench_batch(sizes))
    say("batch preferences: done")
    return results


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:,.3f}" if x < 1 else f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def format_table(results: list[BenchResult]) -> str:
    lines = ["| case | p50 ms | p99 ms | per second | target | met |", "|---|---:|---:|---:|---|---|"]
    for r in results:
        per_s = "-" if r.per_s is None else f"{r.per_s:,.0f}"
        lines.append(
            f"| {r.name} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} | {per_s} | {r.target} | {'yes' if r.met else '**no**'} |"
        )
    return "\n".join(lines)


def versus(ours: float | None, theirs: float, *, lower_is_better: bool) -> str:
    """'3.1x faster' / '1.2x slower' than ``theirs`` (latencies: lower is better)."""
    if not ours or not theirs:
        return "n/a"
    ratio = theirs / ours if lower_is_better else ours / theirs
    return f"{ratio:.1f}x better" if ratio >= 1 else f"{1 / ratio:.1f}x worse"


def format_comparison(results: list[BenchResult]) -> str:
    """Our figures next to the seed design's claims and Metarank's documented ones."""

    def find(prefix: str) -> BenchResult | None:
        return next((r for r in results if r.name.startswith(prefix)), None)

    lines = []
    rate, rec, prof, ingest = find("rate"), find("recommend"), find("profile"), find("ingestion")
    if rate:
        lines.append(
            f"- update (rate incl. commit): p99 {_ms(rate.p99_ms)} ms vs the seed's claimed < 10 ms "
            f"({versus(rate.p99_ms, 10, lower_is_better=True)})."
        )
    if rec:
        lines.append(
            f"- re-rank (recommend top-10): p99 {_ms(rec.p99_ms)} ms vs the seed's 20-50 ms "
            f"({versus(rec.p99_ms, 20, lower_is_better=True)} than its best) and Metarank's "
            f"documented 10-30 ms ({versus(rec.p99_ms, 10, lower_is_better=True)} than its best)."
        )
    if prof:
        lines.append(
            f"- analysis (profile): p99 {_ms(prof.p99_ms)} ms vs the seed's 50-200 ms "
            f"({versus(prof.p99_ms, 50, lower_is_better=True)} than its best)."
        )
    if ingest:
        lines.append(
            f"- ingestion: {ingest.per_s:,.0f} ratings/s vs Metarank's documented 1,000-3,000 "
            f"events/s ({versus(ingest.per_s, 3000, lower_is_better=False)} than its best)."
        )
    return "\n".join(lines)


@click.command("bench")
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...]} as JSON.')
@click.option("--quick", is_flag=True, help="Tiny sizes: checks the bench runs, not the speed.")
@click.option(
    "--http/--no-http",
    default=None,
    help="Measure the HTTP API through a real `cinesync serve` on localhost "
    "(default: when the [api] extra is installed).",
)
def bench_command(as_json: bool, quick: bool, http: bool | None) -> None:
    """Measure latency and throughput on this machine (in a temporary embedded PostgreSQL).

    Every case prints p50/p99 latency, throughput and its target. The HTTP cases start
    `cinesync serve` on a free localhost port over the same temporary database and call it with
    keep-alive clients: recommend and rate next to their in-process figures, then several
    clients at once.
    """
    sizes = QUICK if quick else FULL
    say = (lambda _: None) if as_json else (lambda m: click.echo(f"  {m}", err=True))
    results = run_bench(sizes, say=say, http=http)
    if as_json:
        click.echo(json.dumps({"results": [asdict(r) for r in results]}, indent=2))
        return
    click.echo(format_table(results))
    click.echo()
    click.echo(format_comparison(results))
    if quick:
        click.echo("\n(--quick: tiny sizes; these figures do not test the targets)")
