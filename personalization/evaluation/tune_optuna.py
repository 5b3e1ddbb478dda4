"""Tuning with Optuna: a seeded TPE study over the grid's search space, on the same time split.

``tune`` (the staged grid) moves one setting at a time from the best so far; this searches every
setting of ``search_space()`` at once (each one chooses among the same grid values), which finds
combinations a coordinate search cannot reach, at one replay per trial:

* the stream is cut exactly as ``tune`` cuts it; each trial replays the tuning part only (every
  ``every``-th eligible event scored) and its objective is the ``cinesync`` model's HR@10 there;
* the sampler is ``TPESampler(seed=seed)`` (a quarter of the trials, at most 10, random before
  it models the results) and the first trial is the defaults moved to the
  nearest grid value of each setting, so the same seed on the same stream asks for the same
  trials in the same order and chooses the same settings (``timeout`` stops after a wall-clock
  time, so with it the number of trials can differ between runs);
* a trial that asks for settings already replayed reuses that replay's figures;
* the defaults are replayed first (the "start" row) and stay chosen unless a trial beats them
  by more than ``min_gain`` (relative HR@10); ties go to the earlier trial.

Optuna comes with the ``[tune]`` extra; without it this raises ``MissingExtra`` naming the pip
command. The result is a ``TuneResult`` like the grid's: ``write`` saves the trials (one CSV column
per setting), the plot, and the settings with their cut, and ``report`` holds the held-out part.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from personalization.config import ModelSettings
from personalization.core.base_models import REGISTRY
from personalization.core.ensemble import PERSONAL
from personalization.evaluation.replay import Stream, run_replay
from personalization.evaluation.tune import (
    TuneResult,
    _trial,
    _with,
    _with_weights,
    held_out_report,
    search_space,
    start_result,
)
from personalization.optional import require

__all__ = ["tune_optuna", "flat_space", "plot_study", "INSTALL_HINT"]

INSTALL_HINT = "pip install 'cinesync-personalization[tune]' (or: pip install optuna)"


def flat_space() -> dict[str, tuple[float, ...]]:
    """Every setting the grid searches and the values it tries, by flat setting name."""
    return {name: tuple(values) for grid in search_space().values() for name, values in grid.items()}


def _nearest(value: float, choices: Sequence[float]) -> float:
    return min(choices, key=lambda c: (abs(c - value), c))


def _settings_for(base: ModelSettings, params: dict[str, float]) -> ModelSettings:
    """``base`` with ``params``; the blend weights renormalised the way the grid writes them
    (base models' weights sum to 1, the personal weight as sampled)."""
    weight_fields = {entry.weight_field: m for m, entry in REGISTRY.items()}
    plain = {k: v for k, v in params.items() if k not in weight_fields and k != "blend_weight"}
    s = _with(base, **plain)
    shares = {m: params.get(f, s.value(f)) for f, m in weight_fields.items()}
    if sum(shares.values()) <= 0:  # every base weight 0: keep the base's (the grid never tries it)
        return s
    total = sum(shares.values())
    personal = params.get("blend_weight", s.blend_weight)
    terms = {m: (1.0 - personal) * v / total for m, v in shares.items()}
    terms[PERSONAL] = personal
    return _with_weights(s, terms)


def tune_optuna(
    stream: Stream,
    *,
    trials: int = 40,
    seed: int = 0,
    timeout: float | None = None,
    split: float = 0.5,
    every: int = 5,
    settings: ModelSettings | None = None,
    space: dict[str, Sequence[float]] | None = None,
    progress: Callable[[str], None] | None = None,
    min_gain: float = 0.0,
    report: bool = True,
) -> TuneResult:
    """Search ``space`` (default: ``flat_space()``) with a seeded TPE study on the first ``split``
    of the stream, at most ``trials`` trials (and ``timeout`` seconds); report on the rest."""
    optuna = require("optuna", extra="tune")
    if trials < 1:
        raise ValueError("trials must be >= 1")
    t_start = time.perf_counter()
    space = {k: tuple(v) for k, v in (flat_space() if space is None else space).items()}
    result, head = start_result(stream, split, settings)
    defaults = result.defaults
    say = progress or (lambda msg: None)
    seen: dict[str, tuple[float, float]] = {}

    def replay(s: ModelSettings) -> tuple[float, float]:
        key = json.dumps(s.to_dict(), sort_keys=True)
        if key not in seen:
            r = run_replay(head, models=["cinesync"], every=every, settings=s).result("cinesync")
            seen[key] = (r.hr_at_10, r.ndcg_at_10)
        return seen[key]

    start_hr, start_nd = replay(defaults)
    result.trials.append(_trial("start", "defaults", "-", start_hr, start_nd, True))
    say(f"defaults: HR@10 {start_hr:.4f}")
    rows: list[tuple[dict[str, float], ModelSettings, float, float]] = []

    def objective(trial: Any) -> float:
        params = {name: trial.suggest_categorical(name, list(values)) for name, values in space.items()}
        cand = _settings_for(defaults, params)
        hr, nd = replay(cand)
        trial.set_user_attr("ndcg@10", nd)
        rows.append((params, cand, hr, nd))
        best = max([start_hr, *(r[2] for r in rows)])
        say(f"trial {len(rows)}/{trials}: HR@10 {hr:.4f} NDCG@10 {nd:.4f} (best {best:.4f}) {_short(params)}")
        return hr

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Random start-up trials before TPE models the results: Optuna's 10, fewer on a small budget
    # (each trial is a replay) so that most trials are guided.
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(1, min(10, trials // 4)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    current = {name: _nearest(float(defaults.value(name)), values) for name, values in space.items()}
    study.enqueue_trial(current)  # the defaults on the grid: TPE starts from a good point
    study.optimize(objective, n_trials=trials, timeout=timeout)

    best_i = max(range(len(rows)), key=lambda i: (rows[i][2], rows[i][3], -i)) if rows else -1
    wins = best_i >= 0 and rows[best_i][2] > start_hr * (1.0 + min_gain)
    if wins:
        result.chosen = rows[best_i][1]
        result.trials[0]["chosen"] = False
    for i, (params, _, hr, nd) in enumerate(rows):
        row = _trial("optuna", f"trial {i + 1}", _short(params), hr, nd, wins and i == best_i)
        result.trials.append({**row, **params})
    say(f"optuna ({len(rows)} trials, seed {seed}): HR@10 {max([start_hr, *(r[2] for r in rows)]):.4f}")
    if report:
        held_out_report(stream, result, every, say)
    result.seconds = time.perf_counter() - t_start
    return result


def _short(params: dict[str, float]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in params.items())


def plot_study(trials: list[dict], path: Path) -> None:
    """HR@10 on the tuning part per trial, the best so far, the defaults, the chosen trial."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rows = [t for t in trials if t["stage"] == "optuna"]
    start = next((t for t in trials if t["stage"] == "start"), None)
    x = list(range(1, len(rows) + 1))
    hr = [t["hr@10"] for t in rows]
    best = [max(hr[: i + 1]) for i in range(len(hr))]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.scatter(x, hr, s=14, color=["tab:orange" if t["chosen"] else "tab:blue" for t in rows], zorder=3)
    ax.step(x, best, where="post", color="tab:green", label="best so far")
    if start is not None:
        ax.axhline(start["hr@10"], color="grey", linestyle="--", label="defaults")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel("HR@10 (tuning part)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("cinesync tune --search optuna (orange = chosen)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
