"""Which first cards teach the engine the most about a new member? The onboarding simulation.

    .venv/bin/python benchmarks/onboarding.py                       # 5 seeds x 60 members (~6 min)
    .venv/bin/python benchmarks/onboarding.py --seeds 1 --members 20 # a quick look

Synthetic new members whose tastes are known answer each strategy's cards one at a time (they
skip films they do not know), then get the engine's top 10 (``ensemble.Scorer``, the default base
models fitted on everybody else); HR@10 of their held-out liked films after 5 and after 10
answers, paired differences to "popular first", 95 % intervals. The protocol:
``personalization/evaluation/onboarding.py``; the figures: docs/onboarding.md.
"""

from __future__ import annotations

import argparse
import time

from personalization.threads import configure_threads

configure_threads()  # before numpy loads: one BLAS thread (see personalization/threads.py)

from personalization.evaluation.onboarding import ARMS, Sizes, compare, format_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        default="6,7,8,9,10",
        help="comma-separated generator seeds (default 6-10; the defaults were chosen on seeds 1-5)",
    )
    parser.add_argument("--members", type=int, default=Sizes.members, help="new members per seed (default 60)")
    parser.add_argument("--users", type=int, default=Sizes.users, help="synthetic users per seed (default 400)")
    parser.add_argument("--films", type=int, default=Sizes.films, help="synthetic films per seed (default 1500)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    sizes = Sizes(users=args.users, films=args.films, members=args.members)
    started = time.perf_counter()
    outcome = compare(seeds, ARMS, sizes)
    print(format_table(outcome))
    for arm, base in (("informative + genres", "popular + genres"), ("informative (default)", "default without split")):
        if arm in outcome.hits and base in outcome.hits:
            cells = [f"{d:+.3f} ± {h:.3f} after {at}" for at in (5, 10) for d, h in [outcome.diff(arm, base, at)]]
            print(f"\n{arm} vs {base} (paired HR@10): " + ", ".join(cells))
    print(f"\n{len(ARMS)} strategies, {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
