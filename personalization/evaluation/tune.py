"""Tuning with the replay as the objective, on a time-ordered split.

The stream is cut at ``split`` (a fraction of the events, in time order). Every choice is made on
the first part only (the replay runs up to the cut and is scored there); the chosen settings are
then reported on the rest (the replay learns from everything but is scored only after the cut),
so the reported figure is not tuned on its own test.

Stages, each starting from the best so far:

1. structure: every base-model parameter with a grid in the registry (the recency half-life of
   the history, item-kNN neighbourhood size, EASE regularisation, ...) and the user model's
   learning rates (normal and strong): one replay per value, scored by the blend's HR@10;
2. blend weights: coordinate search over each registered base model's weight (its registry
   ``weight_grid``) and the personal weight, on snapshots recorded by the best structure's
   replay (no replay per trial); from the current weights, and again from each personal
   weight in ``weight_starts`` (coordinate search finds a local best: the personal term's
   weight moves the others'), keeping the best;
3. per-user learning: the Hedge step size and the pull back to the prior, one replay each.

Every trial is a row of ``TuneResult.trials``; ``write`` saves them as CSV and Markdown, a plot,
and the chosen settings (JSON). ``tune_optuna`` searches the same space with a seeded Optuna study
instead of the stages, on the same cut, and returns the same ``TuneResult``.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from personalization.config import ModelSettings
from personalization.core.base_models import REGISTRY
from personalization.core.base_models.registry import settings_params
from personalization.core.ensemble import PERSONAL, UserWeights
from personalization.core.ranker import rank_of
from personalization.errors import CineSyncError
from personalization.evaluation.cut import TuningCut, cut_index, write_tuned
from personalization.evaluation.replay import MIN_HISTORY, MIN_STARS, Snapshot, Stream, run_replay

__all__ = [
    "TuneResult",
    "tune",
    "structure_grid",
    "weight_grids",
    "search_space",
    "LEARNING_GRID",
    "blend_hr",
    "start_result",
    "held_out_report",
]

# The engine's own structure settings; each base model's come from its registry entry.
ENGINE_GRID: dict[str, Sequence[float]] = {
    "learning_rate": (0.05, 0.1, 0.2),
    "strong_learning_rate": (0.1, 0.15, 0.3),
}
TRIAL_COLUMNS = ("stage", "parameter", "value", "hr@10", "ndcg@10", "chosen")
PERSONAL_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6)
LEARNING_GRID: dict[str, Sequence[float]] = {
    "ensemble_rate": (0.0, 0.25, 0.5, 1.0, 2.0),
    "ensemble_share": (0.005, 0.02, 0.1),
}


def structure_grid() -> dict[str, Sequence[float]]:
    """Stage 1: every registered base-model parameter that has a grid, then the engine's."""
    grid: dict[str, Sequence[float]] = {name: p.grid for name, p in settings_params().items() if p.grid}
    grid.update(ENGINE_GRID)
    return grid


def weight_grids() -> dict[str, Sequence[float]]:
    """Stage 2: the prior weight values tried per term (each base model's, then the personal)."""
    return {**{name: entry.weight_grid for name, entry in REGISTRY.items()}, PERSONAL: PERSONAL_GRID}


def search_space() -> dict[str, dict[str, Sequence[float]]]:
    """Everything ``tune`` searches, by stage and flat setting name (what ``--help`` lists)."""
    weights = {(REGISTRY[t].weight_field if t in REGISTRY else "blend_weight"): g for t, g in weight_grids().items()}
    return {"structure": structure_grid(), "weights": weights, "learning": dict(LEARNING_GRID)}


@dataclass
class TuneResult:
    chosen: ModelSettings
    defaults: ModelSettings
    trials: list[dict] = field(default_factory=list)  # stage, parameter, value, hr@10, ndcg@10, chosen
    report: dict = field(default_factory=dict)  # replay on the held-out part: chosen vs defaults
    split_index: int = 0
    seconds: float = 0.0
    cut: TuningCut | None = None  # where the stream was cut (written beside the settings)

    def changes(self) -> dict[str, float]:
        """Settings whose chosen value differs from the defaults it started from."""
        chosen, defaults = self.chosen.to_dict(), self.defaults.to_dict()
        return {name: value for name, value in chosen.items() if value != defaults.get(name)}

    def table(self) -> str:
        lines = ["| stage | parameter | value | HR@10 | NDCG@10 | chosen |", "|---|---|---|---:|---:|:---:|"]
        for t in self.trials:
            lines.append(
                f"| {t['stage']} | {t['parameter']} | {t['value']} | {t['hr@10']:.4f} | "
                f"{t['ndcg@10']:.4f} | {'yes' if t['chosen'] else ''} |"
            )
        return "\n".join(lines)

    def write(self, directory: Path) -> dict[str, Path]:
        """tuning.csv, tuning.md, tuning.png, tuned_settings.json under ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {
            "csv": directory / "tuning.csv",
            "md": directory / "tuning.md",
            "png": directory / "tuning.png",
            "json": directory / "tuned_settings.json",
        }
        with open(paths["csv"], "w", newline="") as fh:
            extra = list(dict.fromkeys(k for t in self.trials for k in t if k not in TRIAL_COLUMNS))
            w = csv.DictWriter(fh, [*TRIAL_COLUMNS, *extra])  # an Optuna trial adds one column per setting
            w.writeheader()
            w.writerows(self.trials)
        md = [
            f"Tuned on events 0-{self.split_index - 1}, reported on events {self.split_index}- ({self.seconds:.0f} s).",
            "",
            self.table(),
            "",
        ]
        if self.report:
            md += [
                "Held-out part (learned from everything, scored only after the cut):",
                "",
                "| settings | HR@10 | ± s.e. | NDCG@10 | evaluated |",
                "|---|---:|---:|---:|---:|",
            ]
            md += [
                f"| {k} | {v['hr@10']:.4f} | {v.get('hr@10_se', 0.0):.4f} | {v['ndcg@10']:.4f} | {v['evaluated']} |"
                for k, v in self.report.items()
            ]
            md.append("")
        md += ["Chosen (changed from the defaults):", "", "```json", json.dumps(self.changes(), indent=2), "```"]
        paths["md"].write_text("\n".join(md) + "\n", encoding="utf-8")
        write_tuned(paths["json"], self.chosen, self.cut or TuningCut(1.0))
        if any(t["stage"] == "optuna" for t in self.trials):
            from personalization.evaluation.tune_optuna import plot_study

            plot_study(self.trials, paths["png"])
        else:
            _plot(self.trials, paths["png"])
        return paths


def blend_hr(snapshots: Sequence[Snapshot], weights: UserWeights, k: int = 10) -> tuple[float, float]:
    """HR@k and NDCG@k of a fixed blend, recomputed on recorded snapshots (target at index 0)."""
    if not snapshots:
        return 0.0, 0.0
    shares = weights.term_weights()
    hits = gains = 0.0
    for s in snapshots:
        f = np.zeros(len(s.ids))
        for t, a in shares.items():
            if a > 0 and t in s.scores:
                lo, hi = s.stats[t][0], s.stats[t][1]
                f += a * ((s.scores[t] - lo) / (hi - lo) if hi > lo else 0.0)
        rank = rank_of(f, s.ids, 0)  # the engine's tie rule, on the shortlist
        if rank <= k:
            hits += 1
            gains += 1.0 / np.log2(rank + 1)
    return hits / len(snapshots), gains / len(snapshots)


def _with_weights(settings: ModelSettings, shares: dict[str, float]) -> ModelSettings:
    uw = UserWeights.from_term_weights(shares)
    changes = {entry.weight_field: round(uw.base_weights.get(m, 0.0), 4) for m, entry in REGISTRY.items()}
    return _with(settings, blend_weight=round(uw.personal_weight, 4), **changes)


def _with(settings: ModelSettings, **changes: float) -> ModelSettings:
    """``replace(settings, **changes)`` by flat setting name (engine or base-model setting)."""
    values: dict[str, Any] = {**settings.to_dict(), **changes}
    return ModelSettings(**values)


def _term_weights(settings: ModelSettings) -> dict[str, float]:
    from personalization.core.ensemble import prior_weights

    return prior_weights(settings).term_weights()


def tune(
    stream: Stream,
    *,
    split: float = 0.5,
    every: int = 5,
    settings: ModelSettings | None = None,
    structure: dict[str, Sequence] | None = None,
    learning: dict[str, Sequence] | None = None,
    progress: Callable[[str], None] | None = None,
    min_gain: float = 0.0,
    weight_starts: Sequence[float] = (),
    weight_passes: int = 2,
    report: bool = True,
) -> TuneResult:
    """Search the settings on the first ``split`` of the stream; report on the rest.

    A value replaces the current one only if it gains more than ``min_gain`` (relative HR@10):
    differences below that are noise on a stream of this size, and the current value stands.
    ``structure={}, learning={}`` tunes the blend weights alone (one replay of the tuning part;
    ``weight_passes`` rounds of the coordinate search from each start);
    ``report=False`` leaves the held-out replays to ``cinesync replay`` (with intervals)."""
    t_start = time.perf_counter()
    structure = structure_grid() if structure is None else structure
    learning = LEARNING_GRID if learning is None else learning
    result, head = start_result(stream, split, settings)
    defaults = result.defaults
    say = progress or (lambda msg: None)
    singles = [*REGISTRY, PERSONAL]

    def structure_trial(s: ModelSettings) -> tuple[float, float, list]:
        # Weights learned with the current structure are refitted per trial (on its snapshots),
        # so a structure is judged by its best blend rather than by weights tuned for another one.
        rec: list = []
        run_replay(head, models=singles, every=every, settings=s, record=rec)
        s_best, hr, nd = _search_weights(rec, s)
        return hr, nd, rec

    best = defaults
    best_hr, best_nd, best_rec = structure_trial(best)
    result.trials.append(_trial("start", "defaults", "-", best_hr, best_nd, True))
    say(f"defaults: HR@10 {best_hr:.4f}")
    for name, values in structure.items():
        rows = []
        for value in values:
            if value == best.value(name):
                rows.append((value, best_hr, best_nd, best_rec, best))
                continue
            cand = _with(best, **{name: value})
            hr, nd, rec = structure_trial(cand)
            rows.append((value, hr, nd, rec, cand))
            say(f"{name}={value}: HR@10 {hr:.4f}")
        win = _winner(rows, best.value(name), min_gain)
        for value, hr, nd, _, _ in rows:
            result.trials.append(_trial("structure", name, value, hr, nd, value == win[0]))
        _, best_hr, best_nd, best_rec, best = win

    start_from = best  # the best structure, with the weights it started with
    best, hr, nd = _search_weights(best_rec, start_from, result.trials, weight_passes)
    say(f"weights: HR@10 {hr:.4f}")
    for start in weight_starts:
        tried: list[dict] = []
        cand, h, n = _search_weights(best_rec, _with(start_from, blend_weight=start), tried, weight_passes)
        result.trials += [dict(t, stage=f"weights from personal {start:g}") for t in tried]
        say(f"weights from personal {start:g}: HR@10 {h:.4f}")
        if (h, n) > (hr, nd):
            best, hr, nd = cand, h, n

    for name, values in learning.items():
        learned: list[tuple[float, float, float, ModelSettings]] = []
        for value in values:
            cand = _with(best, **{name: value})
            rep = run_replay(head, models=["cinesync"], every=every, settings=cand)
            r = rep.result("cinesync")
            learned.append((value, r.hr_at_10, r.ndcg_at_10, cand))
            say(f"{name}={value}: HR@10 {r.hr_at_10:.4f}")
        won = _winner(learned, best.value(name), min_gain)
        for value, hr_, nd_, _ in learned:
            result.trials.append(_trial("learning", name, value, hr_, nd_, value == won[0]))
        best = won[3]

    result.chosen = best
    if report:
        held_out_report(stream, result, every, say)
    result.seconds = time.perf_counter() - t_start
    return result


def could_score(stream: Stream) -> bool:
    """Whether the replay could score any event of ``stream``: a rating of ``MIN_STARS`` or
    more by a user with ``MIN_HISTORY`` earlier ratings (a necessary condition; the replay also
    skips re-rated films and counts a second's events together)."""
    users = stream.ratings.users
    if len(users) == 0:
        return False
    _, inverse = np.unique(users, return_inverse=True)
    order = np.argsort(inverse, kind="stable")  # each user's events together, in stream order
    grouped = inverse[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(grouped)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, len(grouped)]))
    earlier = np.empty(len(users), np.int64)
    earlier[order] = np.arange(len(users)) - starts  # this user's ratings before each event
    return bool(np.any((earlier >= MIN_HISTORY) & (stream.ratings.stars >= MIN_STARS)))


def start_result(stream: Stream, split: float, settings: ModelSettings | None) -> tuple[TuneResult, Stream]:
    """An empty result cut at ``split`` (never inside a second: same-second events stay
    together) and the tuning part of the stream (the events before the cut)."""
    defaults = settings or ModelSettings()
    cut = cut_index(stream, split)
    if not could_score(stream.head(cut)):
        raise CineSyncError(
            f"nothing to tune on: none of the {cut:,} events before the cut is a rating of "
            f"{MIN_STARS:g} stars or more by someone with {MIN_HISTORY} earlier ratings, so no setting can be "
            "judged; give more ratings (a larger --max-events, or none) or a larger --split"
        )
    ts = stream.ratings.timestamps
    last = float(ts[cut - 1]) if ts is not None and cut > 0 else None
    result = TuneResult(defaults, defaults, split_index=cut, cut=TuningCut(split, last, stream.name, len(stream)))
    return result, stream.head(cut)


def held_out_report(stream: Stream, result: TuneResult, every: int, say: Callable[[str], None]) -> None:
    """``result.report``: the chosen settings and the defaults replayed on the whole stream,
    scored only after the cut (nothing when the cut is the end of the stream)."""
    cut = result.split_index
    if cut >= len(stream):
        return
    for label, s in (("chosen", result.chosen), ("defaults", result.defaults)):
        rep = run_replay(stream, models=["cinesync"], every=every, settings=s, evaluate_from=cut)
        r = rep.result("cinesync")
        result.report[label] = {
            "hr@10": r.hr_at_10,
            "hr@10_se": r.hr_se,
            "ndcg@10": r.ndcg_at_10,
            "evaluated": r.evaluated,
        }
        say(f"held-out {label}: HR@10 {r.hr_at_10:.4f}")


def _winner(rows: Sequence[Any], current: float, min_gain: float) -> Any:
    """The best row, unless it beats the current value's row by less than ``min_gain``."""
    best = max(rows, key=lambda r: (r[1], r[2]))
    here = next((r for r in rows if r[0] == current), None)
    if here is not None and best[1] <= here[1] * (1.0 + min_gain):
        return here
    return best


def _search_weights(
    rec: list, settings: ModelSettings, trials: list | None = None, passes: int = 2
) -> tuple[ModelSettings, float, float]:
    """Coordinate search over the blend's weights on recorded snapshots."""
    shares = _term_weights(settings)
    grids = weight_grids()
    for t in grids:
        shares.setdefault(t, 0.0)
    hr, nd = blend_hr(rec, UserWeights.from_term_weights(shares))
    for _ in range(passes):
        improved = False
        for t, grid in grids.items():
            rows = []
            for value in grid:
                trial = dict(shares, **{t: value})
                if sum(v for k, v in trial.items() if k != PERSONAL) <= 0:
                    continue
                if t != PERSONAL:  # keep the personal share fixed while moving a base weight
                    trial = _rescale(trial, shares[PERSONAL])
                h, n = blend_hr(rec, UserWeights.from_term_weights(trial))
                rows.append((h, n, value, trial))
            h, n, value, trial = max(rows, key=lambda r: (r[0], r[1]))
            if trials is not None:
                name = REGISTRY[t].weight_field if t in REGISTRY else "blend_weight"
                for hh, nn, vv, _ in rows:
                    trials.append(_trial("weights", name, vv, hh, nn, vv == value))
            if (h, n) > (hr, nd):
                shares, hr, nd, improved = trial, h, n, True
        if not improved:
            break
    return _with_weights(settings, shares), hr, nd


def _rescale(shares: dict[str, float], personal: float) -> dict[str, float]:
    base = {k: v for k, v in shares.items() if k != PERSONAL}
    total = sum(base.values())
    out = {k: (1.0 - personal) * v / total for k, v in base.items()}
    out[PERSONAL] = personal
    return out


def _trial(stage, parameter, value, hr, nd, chosen) -> dict:
    return {
        "stage": stage,
        "parameter": parameter,
        "value": value,
        "hr@10": round(float(hr), 4),
        "ndcg@10": round(float(nd), 4),
        "chosen": bool(chosen),
    }


def _plot(trials: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [t for t in trials if t["stage"] != "start"]
    groups: dict[str, list[dict]] = {}
    for t in rows:
        groups.setdefault(f"{t['stage']}: {t['parameter']}", []).append(t)
    n = max(1, len(groups))
    cols = 3
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(12, 2.6 * ((n + cols - 1) // cols)), squeeze=False)
    for ax, (name, ts) in zip(axes.ravel(), groups.items()):
        # the weight stage may revisit a parameter: keep its last pass
        seen: dict = {}
        for t in ts:
            seen[str(t["value"])] = t
        ts = list(seen.values())
        ax.bar(
            [str(t["value"]) for t in ts],
            [t["hr@10"] for t in ts],
            color=["tab:orange" if t["chosen"] else "tab:blue" for t in ts],
        )
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("HR@10", fontsize=8)
        ax.tick_params(labelsize=7)
        lo = min(t["hr@10"] for t in ts)
        ax.set_ylim(max(0.0, lo * 0.9), max(t["hr@10"] for t in ts) * 1.02 + 1e-9)
    for ax in axes.ravel()[len(groups) :]:
        ax.axis("off")
    fig.suptitle("cinesync tune: HR@10 on the tuning part (orange = chosen)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
