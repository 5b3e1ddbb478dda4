"""What a replay measures per model, and the report it prints.

Per evaluated event and model: the rank of the film the user rated (HR@10, NDCG@10), the user's
activity bucket and the model's top 10 (catalogue coverage, and novelty: the mean popularity rank
of the picks, 1 = the most rated film so far). Each figure comes with its standard error over
events and a 95% interval (mean +- 1.96 standard errors).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

__all__ = ["K", "BUCKETS", "ModelResult", "ReplayReport", "Tally", "bucket_of"]

K = 10
BUCKETS = ((5, 9, "5-9"), (10, 49, "10-49"), (50, None, "50+"))
Z95 = 1.96


def bucket_of(n: int) -> int:
    """The activity bucket of a user with ``n`` earlier ratings (-1 below the first)."""
    for i, (lo, hi, _) in enumerate(BUCKETS):
        if n >= lo and (hi is None or n <= hi):
            return i
    return -1


@dataclass(frozen=True)
class ModelResult:
    model: str
    hr_at_10: float
    ndcg_at_10: float
    evaluated: int
    seconds: float
    hr_se: float = 0.0
    ndcg_se: float = 0.0
    coverage: float = 0.0  # share of the catalogue that appeared in some top 10
    novelty: float = 0.0  # mean popularity rank of the picks (higher: less popular films)

    @property
    def hr_interval(self) -> tuple[float, float]:
        return self.hr_at_10 - Z95 * self.hr_se, self.hr_at_10 + Z95 * self.hr_se

    def to_dict(self) -> dict:
        lo, hi = self.hr_interval
        return {
            "model": self.model,
            "hr@10": round(self.hr_at_10, 4),
            "hr@10_se": round(self.hr_se, 4),
            "hr@10_95": [round(lo, 4), round(hi, 4)],
            "ndcg@10": round(self.ndcg_at_10, 4),
            "ndcg@10_se": round(self.ndcg_se, 4),
            "coverage": round(self.coverage, 4),
            "novelty": round(self.novelty, 1),
            "evaluated": self.evaluated,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class ReplayReport:
    protocol: dict
    results: list[ModelResult]
    by_count: list[dict] = field(default_factory=list)  # {"model", "bucket", "hr@10", "hr@10_se", "evaluated"}

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            "results": [r.to_dict() for r in self.results],
            "by_count": self.by_count,
        }

    def result(self, model: str) -> ModelResult:
        return next(r for r in self.results if r.model == model)

    def title(self) -> str:
        """One line saying what was scored (and a warning when it includes tuning events)."""
        p = self.protocol
        line = (
            f"{p['dataset']}: {p['events']} ratings, {p['users']} users, {p['films']} films; "
            f"scored events {p['evaluate_from']}- ({p['evaluated']} evaluated of {p['eligible']} eligible, "
            f"every {p['every']}); same-second events: {p['same_second']}"
        )
        if p.get("includes_tuning_events"):
            line += "\nWARNING: these figures include events the settings were tuned on (--include-tuning-events)"
        return line

    def table(self) -> str:
        """The results as a Markdown table (what ``cinesync replay`` prints)."""
        lines = [
            "| model | HR@10 | 95% interval | NDCG@10 | coverage | novelty | evaluated | seconds |",
            "|---|---:|:---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.results:
            lo, hi = r.hr_interval
            lines.append(
                f"| {r.model} | {r.hr_at_10:.4f} | {lo:.4f}-{hi:.4f} | {r.ndcg_at_10:.4f} | "
                f"{r.coverage:.3f} | {r.novelty:.0f} | {r.evaluated} | {r.seconds:.1f} |"
            )
        return "\n".join(lines)

    def bucket_table(self) -> str:
        """HR@10 (+- standard error) by how many ratings the user had before the event."""
        labels = [b[2] for b in BUCKETS]
        cells = {(d["model"], d["bucket"]): d for d in self.by_count}
        lines = ["| model | " + " | ".join(f"HR@10 {b}" for b in labels) + " |", "|---|" + "---:|" * len(labels)]
        for r in self.results:
            row = [cells.get((r.model, b)) for b in labels]
            lines.append(
                f"| {r.model} | "
                + " | ".join(f"{c['hr@10']:.4f} ± {c['hr@10_se']:.4f}" if c and c["evaluated"] else "-" for c in row)
                + " |"
            )
        counts = [cells.get((self.results[0].model, b)) if self.results else None for b in labels]
        lines.append("| (events) | " + " | ".join(str(c["evaluated"]) if c else "0" for c in counts) + " |")
        return "\n".join(lines)


def _mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    a = np.asarray(values, np.float64)
    mean = float(a.mean())
    return mean, float(a.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


class Tally:
    """Per model: each evaluated event's rank, bucket and picks' popularity ranks."""

    def __init__(self, n_films: int):
        self.n_films = n_films
        self.ranks: defaultdict[str, list[int]] = defaultdict(list)
        self.buckets: list[int] = []
        self.novelty: defaultdict[str, list[float]] = defaultdict(list)
        self.picked: defaultdict[str, set[int]] = defaultdict(set)

    def add(self, model: str, rank: int, picks: np.ndarray, pick_popularity: np.ndarray) -> None:
        self.ranks[model].append(rank)
        self.picked[model].update(picks.tolist())
        if len(pick_popularity):
            self.novelty[model].append(float(pick_popularity.mean()))

    def result(self, model: str, seconds: float) -> ModelResult:
        ranks = np.asarray(self.ranks[model], np.float64)
        hits = (ranks <= K).astype(np.float64)
        gains = np.where(ranks <= K, 1.0 / np.log2(ranks + 1.0), 0.0) if len(ranks) else ranks
        hr, hr_se = _mean_se(hits.tolist())
        nd, nd_se = _mean_se(gains.tolist())
        coverage = len(self.picked[model]) / self.n_films if self.n_films else 0.0
        novelty = float(np.mean(self.novelty[model])) if self.novelty[model] else 0.0
        return ModelResult(model, hr, nd, len(ranks), seconds, hr_se, nd_se, coverage, novelty)

    def by_bucket(self, model: str) -> list[dict]:
        ranks = np.asarray(self.ranks[model])
        buckets = np.asarray(self.buckets[: len(ranks)])
        out = []
        for b, (_, _, label) in enumerate(BUCKETS):
            hits = (ranks[buckets == b] <= K).astype(np.float64).tolist() if len(ranks) else []
            hr, se = _mean_se(hits)
            out.append({"model": model, "bucket": label, "hr@10": hr, "hr@10_se": se, "evaluated": len(hits)})
        return out
