"""How well the watch parties' liking scale predicts stars a member has not given yet.

    .venv/bin/cinesync demo                                 # once: the synthetic demo database
    .venv/bin/python benchmarks/watch_party_liking.py       # --users 40

For each user: their ratings split in two at random (seeded by the user id); the taste vector
rebuilt from the first half only; the calibration (``core.group.calibrate``) fitted on the first
half; the second half's predicted stars compared with the stars given. Prints the mean RMSE and
that of predicting the first half's mean for every film, and how often a film predicted to be
hated (below ``HATE_STARS``) was rated 2 stars or less; then the time of one
``group_recommend`` for 2, 5, 10 and 25 members.
"""

from __future__ import annotations

import argparse
import time

from personalization.threads import configure_threads

configure_threads()

import numpy as np  # noqa: E402

from personalization.core import group  # noqa: E402
from personalization.service import Service  # noqa: E402
from personalization.service.engine import strength_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40, help="the first N users (ids 1..N)")
    args = parser.parse_args()
    rmse, mean_only, hated, hated_low = [], [], 0, 0
    with Service.open(listen=False) as svc:
        cat, scorer, rule = svc.catalogue(), svc.scorer(), svc.engine.rule
        for user in range(1, args.users + 1):
            stars = {f: s for f, s in svc.history(user)[0].items() if cat.position(f) is not None}
            if len(stars) < 4:
                continue
            films = list(stars)
            y = np.array([stars[f] for f in films])
            pos = cat.positions(films)
            order = np.random.default_rng(user).permutation(len(films))
            fit, held = order[::2], order[1::2]
            vector = rule.rebuild([(scorer.film_vector(int(pos[i])), strength_of(y[i], None)) for i in sorted(fit)])
            scores = np.asarray(scorer.content(vector), np.float64)
            predicted = group.calibrate(scores[pos][fit], y[fit]).stars(scores[pos][held])
            rmse.append(float(np.sqrt(np.mean((predicted - y[held]) ** 2))))
            mean_only.append(float(np.sqrt(np.mean((y[fit].mean() - y[held]) ** 2))))
            low = predicted < group.HATE_STARS
            hated += int(low.sum())
            hated_low += int((low & (y[held] <= 2)).sum())
        for size in (2, 5, 10, 25):  # the verb itself, warm (catalogue, models and vectors loaded)
            members = list(range(1, size + 1))
            svc.group_recommend(members, 10)
            times = []
            for _ in range(5):
                start = time.perf_counter()
                svc.group_recommend(members, 10)
                times.append(time.perf_counter() - start)
            print(f"group_recommend, {size} members, k=10: median {1000 * sorted(times)[2]:.1f} ms of 5")
    print(
        f"{len(rmse)} users: held-out RMSE {np.mean(rmse):.3f} stars (the user's mean alone {np.mean(mean_only):.3f})"
    )
    if hated:
        print(
            f"predicted hated (< {group.HATE_STARS:g}): {hated} films, {hated_low / hated:.0%} of them rated 2 or less"
        )


if __name__ == "__main__":
    main()
