"""Tuning studies: replay metrics as a function of the model settings, as tidy frames.

A study runs the prequential replay (``personalization.evaluation.replay.run_replay``) once per setting
and returns one row per (setting, model): the setting's values in their own columns, then
``model, hr_at_10, ndcg_at_10, evaluated, seconds``. Such a frame plots directly (x = setting,
y = metric, colour = model) in a notebook or the dashboard.

The replay function is a parameter (``replay=``): by default the real one, imported when a study
runs; tests pass a small stand-in with the same contract.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace

import polars as pl

from personalization.config import ModelSettings

__all__ = ["study", "learning_rate_study", "blend_weight_study", "best"]

METRICS = ("hr_at_10", "ndcg_at_10")
_RESULT_SCHEMA = {
    "model": pl.String,
    "hr_at_10": pl.Float64,
    "ndcg_at_10": pl.Float64,
    "evaluated": pl.Int64,
    "seconds": pl.Float64,
}


def _default_replay() -> Callable:
    from personalization.evaluation.replay import run_replay

    return run_replay


def study(
    stream,
    grid: Mapping[str, Sequence],
    *,
    models: Sequence[str] = ("blend",),
    base: ModelSettings | None = None,
    replay: Callable | None = None,
    every: int = 1,
    max_events: int | None = None,
    derive: Callable[[dict], dict] | None = None,
) -> pl.DataFrame:
    """Replay ``stream`` for every combination of the values in ``grid`` (ModelSettings field
    -> values). ``derive`` may add dependent settings to each combination (e.g. the strong-signal
    rate from the learning rate); its keys become columns too."""
    base = base or ModelSettings()
    known = {f.name for f in fields(ModelSettings)}
    unknown = set(grid) - known
    if unknown:
        raise ValueError(f"not model settings: {sorted(unknown)}")
    run = replay or _default_replay()
    names = list(grid)
    rows = []
    for values in itertools.product(*(grid[n] for n in names)):
        combo = dict(zip(names, values))
        if derive is not None:
            combo |= derive(combo)
        report = run(
            stream,
            models=tuple(models),
            every=every,
            settings=replace(base, **combo),
            progress=False,
            max_events=max_events,
        )
        for r in report.results:
            rows.append(
                {
                    **combo,
                    "model": r.model,
                    "hr_at_10": float(r.hr_at_10),
                    "ndcg_at_10": float(r.ndcg_at_10),
                    "evaluated": int(r.evaluated),
                    "seconds": float(r.seconds),
                }
            )
    setting_cols = list(rows[0])[: -len(_RESULT_SCHEMA)] if rows else names
    schema = {
        c: pl.Float64
        if isinstance(getattr(base, c), float)
        else pl.Int64
        if isinstance(getattr(base, c), int)
        else pl.String
        for c in setting_cols
    }
    return pl.DataFrame(rows, schema={**schema, **_RESULT_SCHEMA}, orient="row")


def learning_rate_study(
    stream,
    rates: Sequence[float] = (0.02, 0.05, 0.1, 0.2, 0.4),
    *,
    strong_ratio: float | None = None,
    models: Sequence[str] = ("personal", "blend"),
    **kwargs,
) -> pl.DataFrame:
    """Metrics against the learning rate. The strong-signal rate keeps its ratio to the learning
    rate in the base settings (0.15 / 0.1 by default), capped at 1."""
    base = kwargs.get("base") or ModelSettings()
    ratio = strong_ratio if strong_ratio is not None else base.strong_learning_rate / base.learning_rate
    return study(
        stream,
        {"learning_rate": list(rates)},
        models=models,
        derive=lambda c: {"strong_learning_rate": min(1.0, c["learning_rate"] * ratio)},
        **kwargs,
    )


def blend_weight_study(
    stream, weights: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), *, models: Sequence[str] = ("blend",), **kwargs
) -> pl.DataFrame:
    """Metrics against the weight of the personal term in the blend (0 = base models only)."""
    return study(stream, {"blend_weight": list(weights)}, models=models, **kwargs)


def best(frame: pl.DataFrame, *, metric: str = "ndcg_at_10", model: str | None = None) -> dict:
    """The row with the highest ``metric`` (for ``model``, if given); ties go to the first row,
    i.e. the smallest setting value in grid order."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    rows = frame if model is None else frame.filter(pl.col("model") == model)
    if rows.height == 0:
        raise ValueError("no rows to choose from")
    top = rows[metric].max()
    return rows.filter(pl.col(metric) == top).row(0, named=True)
