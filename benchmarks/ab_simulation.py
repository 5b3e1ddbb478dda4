"""A/B simulation: does the report find a known better variant, and stay quiet when there is none?

    python benchmarks/ab_simulation.py                  # service runs + the pure calibration check
    python benchmarks/ab_simulation.py --repeats 10 --members 200 --calibration 2000

1. Through the service, on a throwaway embedded PostgreSQL holding the synthetic demo community
   (or --url): for each scenario an experiment "a" vs "b:blend_weight=0.6" is created, new members
   ask for 5 picks (exposures logged by ``recommend``), and each shown pick is rated 4-5 stars with
   the probability of the member's variant, 1-2 stars with probability 0.05; then
   ``experiment_report`` gives the verdict. Repeated with fresh members and seeds.
2. Without a database (``core.experiments`` alone): many simulated experiments with no true
   difference where members differ in how often they like picks (Beta(2, 6), mean 0.25) and see 10
   picks each; how often the verdict wrongly says "better" or "worse", with the intervals on the
   effective number of picks (the report's) and naively per pick.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from personalization.threads import configure_threads

configure_threads()

from personalization.core import experiments as ab  # noqa: E402

SCENARIOS = {"b clearly better": (0.15, 0.35), "b a little better": (0.20, 0.28), "no difference": (0.25, 0.25)}


def populate(url: str, home: Path) -> None:
    from personalization.config import Settings
    from personalization.data.importers import read_movielens
    from personalization.data.synthetic import generate, write_movielens
    from personalization.service import Service
    from personalization.storage.models import ModelStore
    from personalization.training import train

    folder = write_movielens(generate(n_users=100, n_films=500, mean_ratings=30, seed=11), home / "data")
    data = read_movielens(folder)
    with Service.open(Settings(home=home), url=url, listen=False) as svc:
        svc.import_films(data.films)
        svc.rate_many(data.ratings)
        train(ModelStore(svc.db.pool), svc.model_settings, origin="ab-simulation")


def simulate(svc, name: str, p_like: tuple[float, float], members: int, seed: int) -> ab.Report:
    rng = random.Random(seed)
    e = svc.create_experiment(name, ["a", "b:blend_weight=0.6"])
    chance = dict(zip(("a", "b"), p_like))
    for i in range(members):
        member = 10_000_000 + seed * 100_000 + i
        variant = ab.assign(name, member, e.variants).name
        for item in svc.recommend(member, 5).items:
            draw = rng.random()
            if draw < chance[variant]:
                svc.rate(member, item.film.id, rng.choice([4, 4.5, 5]))
            elif draw < chance[variant] + 0.05:
                svc.rate(member, item.film.id, rng.choice([1, 2]))
    report = svc.experiment_report(name)
    svc.stop_experiment(name)
    return report


def service_runs(url: str, home: Path, repeats: int, members: int) -> None:
    from personalization.config import Settings
    from personalization.service import Service

    with Service.open(Settings(home=home), url=url, listen=False) as svc:
        seed = 0
        for label, p in SCENARIOS.items():
            verdicts = []
            for r in range(repeats):
                seed += 1
                report = simulate(svc, f"sim-{seed}", p, members, seed)
                verdicts.append(report.comparisons[0])
                if r == 0:
                    a, b = report.variants
                    print(f"\n{label}: true liked rates a {p[0]:.0%}, b {p[1]:.0%}; {members} members x 5 picks")
                    print(f"  first run: a {a.rate:.1%} [{a.interval[0]:.1%}, {a.interval[1]:.1%}] of {a.shown}, "
                          f"b {b.rate:.1%} [{b.interval[0]:.1%}, {b.interval[1]:.1%}] of {b.shown}")  # fmt: skip
                    print(f"  verdict: {report.verdict}")
            better = sum(c.decided and c.difference > 0 for c in verdicts)
            worse = sum(c.decided and c.difference < 0 for c in verdicts)
            print(f"  over {repeats} runs: 'b is better' {better}, 'b is worse' {worse}, "
                  f"'no clear difference' {repeats - better - worse}")  # fmt: skip


def calibration(experiments: int, members: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    variants = (ab.Variant("a"), ab.Variant("b"))
    e = ab.Experiment(0, "calibration", variants)
    wrong = naive_wrong = 0
    for _ in range(experiments):
        rows = []
        for u in range(members):
            p = rng.betavariate(2, 6)
            hits = sum(rng.random() < p for _ in range(10))
            rows.append(("a" if u % 2 == 0 else "b", u, 10, hits, hits))
        comparison = ab.report(e, rows).comparisons[0]
        wrong += comparison.decided
        stats = [(sum(r[4] for r in rows if r[0] == v), sum(r[2] for r in rows if r[0] == v)) for v in ("a", "b")]
        (ha, na), (hb, nb) = stats
        low, high = ab.newcombe(ha / na, ab.wilson(ha, na), hb / nb, ab.wilson(hb, nb))
        naive_wrong += low > 0 or high < 0
    print(f"\nno true difference, members' like rates ~ Beta(2, 6), {members} members x 10 picks, "
          f"{experiments} experiments:")  # fmt: skip
    print(f"  a difference declared: {wrong / experiments:.1%} with the report's intervals (effective picks), "
          f"{naive_wrong / experiments:.1%} with per-pick intervals (nominal 5%)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a PostgreSQL URL holding a catalogue (default: a throwaway embedded server)")
    parser.add_argument("--repeats", type=int, default=5, help="service runs per scenario")
    parser.add_argument("--members", type=int, default=160, help="members per service run")
    parser.add_argument("--calibration", type=int, default=2000, help="pure simulated experiments (0: skip)")
    args = parser.parse_args(argv)
    if args.repeats > 0:
        home = Path(tempfile.mkdtemp(prefix="cinesync-ab-"))
        try:
            url = args.url
            if url is None:
                from personalization.storage.db import start_embedded

                url = start_embedded(home / "pgdata", "delete").get_uri()
                populate(url, home)
            service_runs(url, home, args.repeats, args.members)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    if args.calibration > 0:
        calibration(args.calibration, 200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
