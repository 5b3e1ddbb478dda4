"""A/B tests, the pure part: variants and their settings, deterministic assignment, outcome rates
with confidence intervals and a plain verdict (no I/O; ``service.experiments`` stores and reads).

A member is in the same variant of an experiment in every process and on every machine: the
variant is picked by BLAKE2b of the experiment's name and the member's id (never Python's salted
``hash()``), so nothing about assignments needs storing.

>>> variants = (Variant("A"), Variant("B", {"blend_weight": 0.8}))
>>> assign("blend-08", 42, variants).name, assign("blend-08", 43, variants).name
('B', 'A')
>>> s = VariantStats.of("A", [(10, 3)])
>>> round(s.rate, 2), [round(x, 3) for x in s.interval]
(0.3, [0.108, 0.603])
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from personalization.core.ensemble import UserWeights
from personalization.errors import CineSyncError, quoted

__all__ = [
    "BLEND_WEIGHT",
    "METRICS",
    "Variant",
    "Experiment",
    "VariantStats",
    "Comparison",
    "Report",
    "check_name",
    "parse_variant",
    "check_variants",
    "assign",
    "override",
    "wilson",
    "newcombe",
    "compare",
    "report",
]

BLEND_WEIGHT = "blend_weight"  # the personal term's share p; base models as "weight_<model>"
WEIGHT_PREFIX = "weight_"
# What an outcome is, per shown pick: any rating or feedback after it was shown ("acted"), or a
# positive one ("liked": 4 stars or more, love or like).
METRICS = {"liked": "rated 4+ stars, loved or liked", "acted": "rated or reacted to at all"}
Z95 = 1.959963984540054
Z80_POWER = 0.8416212335729143  # one-sided: 80 % power
MIN_EFFECT = 0.02  # the smallest difference the "need ~N more" estimate aims to tell apart
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_VARIANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class Variant:
    """One arm of an experiment: its name and the per-member ranking settings it overrides."""

    name: str
    settings: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "settings": dict(self.settings)}

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v:g}" for k, v in self.settings.items())
        return f"{self.name} ({shown or 'no change'})"


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    variants: tuple[Variant, ...]
    status: str = "running"
    description: str = ""
    created_at: datetime | None = None
    stopped_at: datetime | None = None
    exposures: int = 0  # picks shown so far (every showing), to ``members`` members
    members: int = 0

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def control(self) -> Variant:
        return self.variants[0]

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise CineSyncError(f"experiment {self.name!r} has no variant {quoted(name)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "variants": [v.to_dict() for v in self.variants],
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "exposures": self.exposures,
            "members": self.members,
        }


# A base model's weight is a share among the others: above this it only hides them all.
MAX_MODEL_WEIGHT = 1000.0
MAX_DESCRIPTION = 500  # characters


def check_name(name: Any) -> str:
    """An experiment's name: lower-case letters, digits, '-', '_', '.', up to 63 characters."""
    text = str(name).strip() if name is not None else ""
    if not _NAME.match(text):
        raise CineSyncError(
            f"an experiment name is 1-63 lower-case letters, digits, '-', '_' or '.', starting with a "
            f"letter or digit (e.g. blend-08), got {quoted(name)}"
        )
    return text


def parse_variant(text: str) -> Variant:
    """``"B:blend_weight=0.8,weight_ease=0.3"`` (or just ``"A"``, no change) as a Variant."""
    name, _, rest = text.partition(":")
    settings: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise CineSyncError(f"variant {quoted(text)}: write each setting as NAME=VALUE, e.g. B:blend_weight=0.8")
        if key.strip() in settings:
            raise CineSyncError(f"variant {quoted(text)}: {quoted(key.strip())} is set twice; give it once")
        try:
            settings[key.strip()] = float(value)
        except ValueError:
            raise CineSyncError(
                f"variant {quoted(text)}: {quoted(key.strip())} must be a number, got {quoted(value.strip())}"
            ) from None
    return Variant(name.strip(), settings)


def check_variants(variants: Sequence[Variant], models: Iterable[str]) -> tuple[Variant, ...]:
    """At least two variants with distinct names; each setting is ``blend_weight`` (0 to 1) or
    ``weight_<model>`` (0 or more) for a base model in ``models`` (those in force)."""
    models = list(models)
    allowed = [BLEND_WEIGHT, *(WEIGHT_PREFIX + m for m in models)]
    if len(variants) < 2:
        raise CineSyncError(
            "an experiment needs at least two variants (the first is the control), e.g. A B:blend_weight=0.8"
        )
    names = [v.name for v in variants]
    for v in variants:
        if not _VARIANT.match(v.name):
            raise CineSyncError(f"a variant name is 1-32 letters, digits, '-', '_' or '.', got {quoted(v.name)}")
    if len(set(names)) < len(names):
        raise CineSyncError(f"variant names must differ, got {', '.join(names)}")
    out: list[Variant] = []
    for v in variants:
        settings: dict[str, float] = {}
        for key, value in v.settings.items():
            if key not in allowed:
                raise CineSyncError(
                    f"variant {v.name}: {quoted(key)} is not a per-member ranking setting; "
                    f"use one of {', '.join(allowed)}"
                )
            number = float(value)
            top = 1.0 if key == BLEND_WEIGHT else MAX_MODEL_WEIGHT
            if not math.isfinite(number) or number < 0 or number > top:
                span = "from 0 to 1" if key == BLEND_WEIGHT else f"from 0 to {MAX_MODEL_WEIGHT:g}"
                raise CineSyncError(f"variant {v.name}: {key} must be a number {span}, got {value!r}")
            settings[key] = number
        if _no_base_model_left(settings, models):
            raise CineSyncError(f"variant {v.name}: at least one base model must keep a weight above 0")
        same = next((o for o in out if o.settings == settings), None)
        if same is not None:
            raise CineSyncError(
                f"variants {same.name} and {v.name} have the same settings: each variant must change something"
            )
        out.append(Variant(v.name, settings))
    return tuple(out)


def _no_base_model_left(settings: Mapping[str, float], models: Sequence[str]) -> bool:
    """Whether the settings switch off every base model (nothing left to blend)."""
    return bool(models) and all(settings.get(WEIGHT_PREFIX + m, 1.0) == 0 for m in models)


def assign(experiment: str, user_id: int, variants: Sequence[Variant]) -> Variant:
    """The member's variant: equal shares, by BLAKE2b of the experiment's name and the id."""
    digest = hashlib.blake2b(f"{experiment}\x00{int(user_id)}".encode(), digest_size=8).digest()
    position = int.from_bytes(digest, "big") / 2.0**64  # uniform in [0, 1)
    return variants[min(len(variants) - 1, int(position * len(variants)))]


def override(weights: UserWeights, settings: Mapping[str, float]) -> UserWeights:
    """The member's weights with a variant's settings in force: ``blend_weight`` replaces their
    personal weight; each ``weight_<model>`` replaces that base model's share before the base
    shares are renormalised to sum 1 (models not named keep their learned share)."""
    if not settings:
        return weights
    p = float(settings.get(BLEND_WEIGHT, weights.personal_weight))
    base = dict(weights.base_weights)
    for key, value in settings.items():
        if key.startswith(WEIGHT_PREFIX) and key[len(WEIGHT_PREFIX) :] in base:
            base[key[len(WEIGHT_PREFIX) :]] = float(value)
    total = sum(base.values())
    if total > 0:
        base = {m: b / total for m, b in base.items()}
    return UserWeights(min(1.0, max(0.0, p)), base)


# -- statistics ------------------------------------------------------------------------------------
def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (``n`` may be fractional: an effective size)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(p1: float, ci1: tuple[float, float], p2: float, ci2: tuple[float, float]) -> tuple[float, float]:
    """Newcombe's interval for ``p2 - p1`` from the two Wilson intervals (his method 10)."""
    d = p2 - p1
    lower = d - math.sqrt((p2 - ci2[0]) ** 2 + (ci1[1] - p1) ** 2)
    upper = d + math.sqrt((ci2[1] - p2) ** 2 + (p1 - ci1[0]) ** 2)
    return lower, upper


@dataclass(frozen=True)
class VariantStats:
    """One variant's outcomes: ``shown`` distinct picks to ``members`` members, ``hits`` of them
    with an outcome. A member's picks are alike (one person, one mood), so the interval uses the
    effective number of picks: shown / design effect (the ratio estimator's cluster-robust
    variance over the binomial one, at least 1)."""

    name: str
    members: int
    shown: int
    hits: int
    design_effect: float
    interval: tuple[float, float]

    @property
    def rate(self) -> float:
        return self.hits / self.shown if self.shown else 0.0

    @property
    def effective(self) -> float:
        return self.shown / self.design_effect if self.shown else 0.0

    @classmethod
    def of(cls, name: str, per_member: Sequence[tuple[int, int]]) -> VariantStats:
        """From ``(picks shown, picks with an outcome)`` per member."""
        rows = [(int(n), int(s)) for n, s in per_member if n > 0]
        shown, hits, m = sum(n for n, _ in rows), sum(s for _, s in rows), len(rows)
        deff = 1.0
        if m >= 2 and shown:
            r = hits / shown
            robust = sum((s - r * n) ** 2 for n, s in rows) / shown**2 * m / (m - 1)
            binomial = r * (1 - r) / shown
            if binomial > 0:
                deff = max(1.0, robust / binomial)
        interval = wilson(hits / deff, shown / deff) if shown else (0.0, 1.0)
        return cls(name, m, shown, hits, deff, interval)

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.name,
            "members": self.members,
            "shown": self.shown,
            "outcomes": self.hits,
            "rate": round(self.rate, 6),
            "ci95": [round(self.interval[0], 6), round(self.interval[1], 6)],
            "design_effect": round(self.design_effect, 4),
        }


@dataclass(frozen=True)
class Comparison:
    """A variant against the control: the difference of rates, its 95 % interval, the verdict."""

    variant: str
    control: str
    difference: float
    interval: tuple[float, float]
    verdict: str
    decided: bool  # the interval excludes 0
    more_needed: int | None  # picks still to show (all variants together) when not decided

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "control": self.control,
            "difference": round(self.difference, 6),
            "ci95": [round(self.interval[0], 6), round(self.interval[1], 6)],
            "decided": self.decided,
            "more_exposures_needed": self.more_needed,
            "verdict": self.verdict,
        }


def _pts(x: float) -> str:
    return f"{x * 100:+.1f}".replace("-", "−")


def _round_up(n: float) -> int:
    """A rough count, rounded up to two significant figures (an estimate, not a promise)."""
    n = max(1, math.ceil(n))
    step = 10 ** max(0, len(str(n)) - 2)
    return int(math.ceil(n / step) * step)


def compare(control: VariantStats, variant: VariantStats, metric: str = "liked") -> Comparison:
    """``variant`` against ``control``, in percentage points, with a verdict anyone can read."""
    if not control.shown or not variant.shown:
        missing = control.name if not control.shown else variant.name
        text = f"no exposures yet for {missing}: no comparison of {variant.name} with {control.name}"
        return Comparison(variant.name, control.name, 0.0, (-1.0, 1.0), text, False, None)
    d = variant.rate - control.rate
    # Newcombe on the effective sizes (each side's Wilson interval already uses them)
    low, high = newcombe(control.rate, control.interval, variant.rate, variant.interval)
    ci = f"95% CI [{_pts(low)}, {_pts(high)}]"
    rates = f"{metric} {variant.rate:.1%} vs {control.rate:.1%}"
    if low > 0 or high < 0:
        word = "better" if low > 0 else "worse"
        text = f"{variant.name} is {word} than {control.name}: {_pts(d)} pts ({rates}), {ci}"
        return Comparison(variant.name, control.name, d, (low, high), text, True, None)
    # The interval's half-width shrinks as 1/sqrt(picks): how many picks until a difference the
    # size of this one (at least MIN_EFFECT) would be told apart 4 times in 5.
    half = max(high - d, d - low)
    effect = max(abs(d), MIN_EFFECT)
    shown = control.shown + variant.shown
    needed = shown * (half * (Z95 + Z80_POWER) / Z95 / effect) ** 2
    more = _round_up(needed - shown) if needed > shown else 0
    text = (
        f"no clear difference yet between {variant.name} and {control.name}: {_pts(d)} pts ({rates}), {ci}; "
        f"need ~{more:,} more exposures to tell apart a {effect * 100:.1f}-point difference"
    )
    return Comparison(variant.name, control.name, d, (low, high), text, False, more)


@dataclass(frozen=True)
class Report:
    experiment: Experiment
    metric: str
    variants: tuple[VariantStats, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def verdict(self) -> str:
        return "\n".join(c.verdict for c in self.comparisons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.to_dict(),
            "metric": self.metric,
            "metric_means": METRICS[self.metric],
            "variants": [v.to_dict() for v in self.variants],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "verdict": self.verdict,
        }


def report(experiment: Experiment, rows: Iterable[tuple[str, int, int, int, int]], metric: str = "liked") -> Report:
    """The report from ``(variant, member, picks shown, picks acted on, picks liked)`` rows:
    every variant's rate and interval, each against the first variant (the control)."""
    if metric not in METRICS:
        raise CineSyncError(f"unknown metric {quoted(metric)}; choose one of {', '.join(METRICS)}")
    per_variant: dict[str, list[tuple[int, int]]] = {v.name: [] for v in experiment.variants}
    for variant, _member, shown, acted, liked in rows:
        if variant in per_variant:
            per_variant[variant].append((shown, liked if metric == "liked" else acted))
    stats = tuple(VariantStats.of(v.name, per_variant[v.name]) for v in experiment.variants)
    comparisons = tuple(compare(stats[0], s, metric) for s in stats[1:])
    return Report(experiment, metric, stats, comparisons)
