"""A/B tests and a member's own data, for the service façade (docs/experiments.md).

* ``Experiments`` creates, lists, reports and stops experiments; knows which variant each member
  is in (``core.experiments.assign``: nothing stored); logs what was shown to a member of a
  running experiment; and reads back everything stored about a member (``user_data``).
* ``ExperimentReads`` is the service's ``Reads`` with the running experiments' settings applied
  where the member's blend weights are chosen (``history_and_weights``), so a variant holds for
  that member everywhere the service ranks for them (CLI, bot, dashboard, HTTP, watch parties)
  without touching the engine or the read path.

Which experiments run is read at most every ``ttl`` seconds (5): another process starts or stops
applying a variant within that time; this process at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg

from personalization.core import experiments as ab
from personalization.core.ensemble import UserWeights, prior_weights
from personalization.core.experiments import MAX_DESCRIPTION, Experiment, Report, Variant
from personalization.core.signals import History
from personalization.errors import CineSyncError, UnknownUser
from personalization.service.engine import Engine
from personalization.service.reads import Reads
from personalization.service.results import Recommendations, check_user_id
from personalization.storage.experiments import ExperimentRow, ExperimentStore

__all__ = ["Experiments", "ExperimentReads", "VariantSpec"]

log = logging.getLogger(__name__)

# A variant as a front-end gives it: "B:blend_weight=0.8", a Variant, or {"name", "settings"}.
VariantSpec = str | Variant | Mapping[str, Any]


def _variant(spec: VariantSpec) -> Variant:
    if isinstance(spec, Variant):
        return spec
    if isinstance(spec, str):
        return ab.parse_variant(spec)
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        settings = spec.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise CineSyncError(f"variant {spec['name']}: settings must be an object of NAME: number")
        return Variant(spec["name"], dict(settings))
    raise CineSyncError(f"a variant is 'NAME' or 'NAME:SETTING=VALUE,...', got {spec!r}")


def _experiment(row: ExperimentRow, counts: tuple[int, int] = (0, 0)) -> Experiment:
    variants = tuple(
        Variant(str(v["name"]), {str(k): float(x) for k, x in v["settings"].items()}) for v in row.variants
    )
    return Experiment(row.id, row.name, variants, row.status, row.description, row.created_at, row.stopped_at, *counts)


class Experiments:
    """The A/B verbs, the members' variants, exposure logging, a member's stored data."""

    def __init__(self, store: ExperimentStore, engine: Engine, *, ttl: float = 5.0):
        self.store, self.engine, self.ttl = store, engine, ttl
        self._running: tuple[float, tuple[Experiment, ...]] = (-float("inf"), ())

    # -- the verbs ---------------------------------------------------------------------------------
    def models(self) -> list[str]:
        """The base models in force: what a variant's ``weight_<model>`` may name."""
        return list(prior_weights(self.engine.model_settings).base_weights)

    def create(self, name: Any, variants: Iterable[VariantSpec], *, description: str = "") -> Experiment:
        """Start an experiment (running at once). The first variant is the control; a setting
        another running experiment already varies is refused (the two would fight)."""
        name = ab.check_name(name)
        checked = ab.check_variants([_variant(v) for v in variants], self.models())
        varied = {key for v in checked for key in v.settings}
        for other in self.running(fresh=True):
            clash = varied & {key for v in other.variants for key in v.settings}
            if clash:
                raise CineSyncError(
                    f"experiment {other.name!r} is running and varies {', '.join(sorted(clash))} too: "
                    f"stop it first (cinesync ab stop {other.name}) or vary another setting"
                )
        description = str(description or "")
        if len(description) > MAX_DESCRIPTION:
            raise CineSyncError(f"a description is at most {MAX_DESCRIPTION} characters, got {len(description)}")
        row = self.store.create(name, description, [v.to_dict() for v in checked])
        self._forget_running()
        return _experiment(row, self.store.exposure_counts().get(row.id, (0, 0)))

    def all(self) -> list[Experiment]:
        """Every experiment, newest first, with its exposures so far."""
        counts = self.store.exposure_counts()
        return [_experiment(r, counts.get(r.id, (0, 0))) for r in self.store.all()]

    def get(self, name: Any) -> Experiment:
        row = self.store.get(str(name).strip())
        if row is None:
            known = ", ".join(r.name for r in self.store.all()) or "none yet (cinesync ab create)"
            raise CineSyncError(f"no experiment named {name!r}; the experiments: {known}")
        return _experiment(row, self.store.exposure_counts().get(row.id, (0, 0)))

    def report(self, name: Any, *, metric: str = "liked") -> Report:
        """Each variant's outcome rate with its 95 % interval, and each against the control."""
        experiment = self.get(name)
        if metric not in ab.METRICS:
            raise CineSyncError(f"unknown metric {metric!r}; choose one of {', '.join(ab.METRICS)}")
        return ab.report(experiment, self.store.outcomes(experiment.id), metric)

    def stop(self, name: Any) -> Experiment:
        """Stop applying the variants and logging exposures (the report stays)."""
        row = self.store.stop(str(name).strip())
        if row is None:
            experiment = self.get(name)  # unknown: says which exist
            since = f" (since {experiment.stopped_at:%Y-%m-%d %H:%M})" if experiment.stopped_at else ""
            raise CineSyncError(f"experiment {experiment.name!r} is stopped already{since}")
        self._forget_running()
        return _experiment(row, self.store.exposure_counts().get(row.id, (0, 0)))

    # -- members' variants -------------------------------------------------------------------------
    def running(self, *, fresh: bool = False) -> tuple[Experiment, ...]:
        at, cached = self._running
        now = time.monotonic()
        if fresh or now - at > self.ttl:
            cached = tuple(_experiment(r) for r in self.store.running())
            self._running = (now, cached)
        return cached

    def _forget_running(self) -> None:
        self._running = (-float("inf"), ())

    def assignments(self, user_id: int) -> list[tuple[Experiment, Variant]]:
        """The member's variant in each running experiment."""
        return [(e, ab.assign(e.name, user_id, e.variants)) for e in self.running()]

    def weights_for(self, user_id: int, weights: UserWeights) -> UserWeights:
        """The member's weights with their variants' settings in force."""
        for _, variant in self.assignments(user_id):
            weights = ab.override(weights, variant.settings)
        return weights

    def log_exposures(self, picks: Recommendations) -> None:
        """Store the picks just served to a member of a running experiment, with their ranks. A
        failure is logged, never raised: the member still gets their picks."""
        films = [item.film.id for item in picks.items]
        if not films:
            return
        try:
            for experiment, variant in self.assignments(picks.user_id):
                self.store.log_exposures(experiment.id, variant.name, picks.user_id, films)
        except psycopg.Error:
            log.warning("could not log the A/B exposures of user %s", picks.user_id, exc_info=True)

    # -- a member's own data -----------------------------------------------------------------------
    def user_data(self, user_id: Any) -> dict[str, Any]:
        """Everything stored about the member: every row of every table holding their id (found
        in the database's catalog, so a table added later is included), plus the variant they
        are in for each running experiment (computed, not stored)."""
        user_id = check_user_id(user_id)
        tables = self.store.user_rows(user_id)
        if not tables:
            raise UnknownUser(user_id)
        return {
            "user_id": user_id,
            "exported_at": datetime.now(UTC).isoformat(),
            "complete": True,
            "tables": tables,
            "experiments": [
                {"experiment": e.name, "variant": v.name, "settings": dict(v.settings)}
                for e, v in self.assignments(user_id)
            ],
        }


class ExperimentReads(Reads):
    """``Reads`` with each member's running variants applied to the weights it chooses."""

    def __init__(self, *args: Any, experiments: Experiments, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.experiments = experiments

    def history_and_weights(self, user_id: int, *args: Any, **kwargs: Any) -> tuple[History, UserWeights]:
        history, weights = super().history_and_weights(user_id, *args, **kwargs)
        return history, self.experiments.weights_for(user_id, weights)
