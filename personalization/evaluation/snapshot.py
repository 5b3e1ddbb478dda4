"""What the tuner keeps of each evaluated event, so it can try blends without replaying."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personalization.core.ranker import rank_of

__all__ = ["Snapshot", "snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """One evaluated event, as the tuner needs it: the terms' normalised scores on a shortlist
    (the union of each term's best films, plus the target film at index 0)."""

    user: int
    n_before: int
    ids: np.ndarray  # film ids of the shortlist (target first)
    scores: dict  # term -> raw scores on the shortlist
    ranks: dict  # term -> exact rank of the target among all candidates
    stats: dict  # term -> (min, max, mean, std) over all candidates


def snapshot(u, p, n_before, terms, mask, ids, top) -> Snapshot:
    cand = np.flatnonzero(mask)
    picks = [np.array([p])]
    stats = {}
    for name, sc in terms.items():
        sub = sc[cand]
        stats[name] = (float(sub.min()), float(sub.max()), float(sub.mean()), float(sub.std()))
        k = min(top, len(sub))
        picks.append(cand[np.argpartition(-sub, k - 1)[:k]] if k else cand[:0])
    short = np.concatenate(picks)
    short = np.concatenate([[p], np.setdiff1d(short, [p])])
    ranks = {name: rank_of(sc, ids, p, mask) for name, sc in terms.items()}
    return Snapshot(u, n_before, ids[short], {n: v[short] for n, v in terms.items()}, ranks, stats)
