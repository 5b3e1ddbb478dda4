"""Settings: one small validated object, built once at each entry point and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from personalization.errors import ConfigError

__all__ = ["Settings", "ModelSettings", "ConfigError"]


@dataclass(frozen=True, init=False)
class ModelSettings:
    """Learning and ranking hyper-parameters (the tuned defaults live here and in the registry).

    One flat namespace: the engine's own settings are fields below; every registered base
    model adds ``weight_<name>`` (its prior weight in the blend, 0 = not used) and its
    parameters (``ease_l2``, ``knn_neighbours``, ...; see ``core.base_models.registry``), kept in
    ``base_models`` and accepted by name everywhere a field is::

        ModelSettings(weight_ease=0.3, ease_l2=100.0)
        replace(settings, knn_neighbours=50)
        settings.value("ease_l2")

    ``to_dict()`` is the flat form (saved settings, ``cinesync tune``'s output); saved settings
    holding ``base_models`` as one mapping are read as well.
    """

    dim: int = 256
    learning_rate: float = 0.1
    strong_learning_rate: float = 0.15
    blend_weight: float = 0.2  # the personal term's prior weight (its share of the blend)
    min_ratings: int = 5
    ensemble_rate: float = 0.25  # Hedge step size of the per-user weights (0 = fixed global blend)
    ensemble_share: float = 0.1  # pull back towards the prior each step
    # Time awareness (docs/time_and_drift.md): a rating's weight in the taste vector and the
    # profile halves every ``half_life_days`` days of age (0 = off: every rating counts alike).
    half_life_days: float = 0.0
    # Time-of-day / day-of-week context re-rank strength (0 = off), learned per user; read by the
    # replay only (it gained nothing held out: docs/time_and_drift.md), not served.
    context_weight: float = 0.0
    # The personal term's film vectors (core/item_vectors.py): this many collaborative factors,
    # fitted and published by `cinesync train`, beside the content features (0 = content alone).
    film_factors: int = 32
    base_models: Mapping[str, float] = field(default_factory=dict)  # weight_<model> and parameters

    def __init__(
        self,
        *,
        dim: int = 256,
        learning_rate: float = 0.1,
        strong_learning_rate: float = 0.15,
        blend_weight: float = 0.2,
        min_ratings: int = 5,
        ensemble_rate: float = 0.25,
        ensemble_share: float = 0.1,
        half_life_days: float = 0.0,
        context_weight: float = 0.0,
        film_factors: int = 32,
        base_models: Mapping[str, float] | None = None,
        **flat: float,
    ) -> None:
        defaults = base_model_defaults()
        unknown = sorted(set(flat) - set(defaults))
        if unknown:
            raise TypeError(f"ModelSettings got unknown setting(s) {', '.join(unknown)}")
        # a saved mapping may name a model that is gone: its settings are ignored
        values = {**defaults, **{k: v for k, v in (base_models or {}).items() if k in defaults}, **flat}
        for name, value in (
            ("dim", dim),
            ("learning_rate", learning_rate),
            ("strong_learning_rate", strong_learning_rate),
            ("blend_weight", blend_weight),
            ("min_ratings", min_ratings),
            ("ensemble_rate", ensemble_rate),
            ("ensemble_share", ensemble_share),
            ("half_life_days", float(half_life_days)),
            ("context_weight", float(context_weight)),
            ("film_factors", film_factors),
            ("base_models", values),
        ):
            object.__setattr__(self, name, value)
        self._validate()

    def _validate(self) -> None:
        if self.dim < 8 or self.dim > 4096:
            raise ConfigError(f"dim must be between 8 and 4096, got {self.dim}")
        for name in ("learning_rate", "strong_learning_rate"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1], got {value}")
        if not 0.0 <= self.blend_weight <= 1.0:
            raise ConfigError(f"blend_weight must be in [0, 1], got {self.blend_weight}")
        if self.min_ratings < 0:
            raise ConfigError(f"min_ratings must be >= 0, got {self.min_ratings}")
        if not self.ensemble_rate >= 0.0:
            raise ConfigError(f"ensemble_rate must be >= 0, got {self.ensemble_rate}")
        if not 0.0 <= self.ensemble_share <= 1.0:
            raise ConfigError(f"ensemble_share must be in [0, 1], got {self.ensemble_share}")
        if not 0.0 <= self.half_life_days < float("inf"):
            raise ConfigError(f"half_life_days must be a number of days >= 0 (0 = off), got {self.half_life_days}")
        if not 0.0 <= self.context_weight <= 1.0:
            raise ConfigError(f"context_weight must be in [0, 1] (0 = off), got {self.context_weight}")
        if not (float(self.film_factors) == int(self.film_factors) and 0 <= self.film_factors <= 4096):
            raise ConfigError(
                f"film_factors must be a whole number >= 0 (0 = off; at most dim / 2 are used), got {self.film_factors}"
            )
        from personalization.core.base_models.registry import REGISTRY, settings_params

        for p in settings_params().values():
            problem = p.check(self.base_models[p.field])
            if problem:
                raise ConfigError(problem)
        for entry in REGISTRY.values():
            weight = self.base_models[entry.weight_field]
            if not weight >= 0.0:
                raise ConfigError(f"{entry.weight_field} must be >= 0, got {weight}")

    def __hash__(self) -> int:
        return hash(
            (
                self.dim,
                self.learning_rate,
                self.strong_learning_rate,
                self.blend_weight,
                self.min_ratings,
                self.ensemble_rate,
                self.ensemble_share,
                self.half_life_days,
                self.context_weight,
                self.film_factors,
                tuple(sorted(self.base_models.items())),
            )
        )

    def value(self, name: str) -> float:
        """A setting by its flat name (an engine field or a base model's)."""
        if name in self.base_models:
            return self.base_models[name]
        if name in _ENGINE_FIELDS:
            return float(getattr(self, name))
        raise KeyError(f"unknown setting {name!r}")

    @classmethod
    def names(cls) -> list[str]:
        """Every flat setting name: the engine's, then each registered base model's."""
        return [*_ENGINE_FIELDS, *base_model_defaults()]

    def to_dict(self) -> dict[str, float]:
        """The flat form: ``ModelSettings(**settings.to_dict()) == settings``."""
        return {**{n: getattr(self, n) for n in _ENGINE_FIELDS}, **self.base_models}

    @property
    def base_weights(self) -> dict[str, float]:
        """Each registered base model's prior weight by model name (the ones > 0 are built and
        blended)."""
        from personalization.core.base_models.registry import REGISTRY

        return {name: self.base_models[entry.weight_field] for name, entry in REGISTRY.items()}

    @property
    def version(self) -> str:
        """Stored beside each embedding: a vector made under another version is rebuilt."""
        # the half-life changes how a vector is folded; off, the version is what it always was
        hl = f"-hl{self.half_life_days:g}" if self.half_life_days > 0 else ""
        return f"enc1-d{self.dim}-lr{self.learning_rate:g}-{self.strong_learning_rate:g}{hl}"


_ENGINE_FIELDS = (
    "dim",
    "learning_rate",
    "strong_learning_rate",
    "blend_weight",
    "min_ratings",
    "ensemble_rate",
    "ensemble_share",
    "half_life_days",
    "context_weight",
    "film_factors",
)


def base_model_defaults() -> dict[str, float]:
    """The registered base models' flat settings and their defaults: ``weight_<name>`` for each
    model, then each parameter (read from the registry when called, so a model registered at
    run time is a setting at once)."""
    from personalization.core.base_models.registry import REGISTRY, settings_params

    out = {entry.weight_field: entry.weight for entry in REGISTRY.values()}
    out.update({field: p.default for field, p in settings_params().items()})
    return out


@dataclass(frozen=True)
class Settings:
    """Where the data lives and how the engine behaves.

    ``database_url`` None means: the embedded PostgreSQL (pgserver) under ``home / "pgdata"``.
    """

    home: Path = field(default_factory=lambda: Path.cwd() / ".cinesync")
    database_url: str | None = None
    model: ModelSettings = field(default_factory=ModelSettings)
    pool_min: int = 1
    pool_max: int = 4
    # Seconds a request waits for a pooled connection (and, up to 15, the start for the first
    # one). A front-end that must say "the database is down" quickly sets it lower.
    pool_timeout: float = 30.0
    cache_size: int = 10_000
    cache_ttl_seconds: float = 300.0
    # Bytes a serving process keeps per user, all caches together (taste vectors, profiles, the
    # base models' running scores), in MiB; least recently used users go first.
    cache_mb: float = 256.0

    def __post_init__(self) -> None:
        if self.pool_max < 1:
            raise ConfigError(f"CINESYNC_POOL_MAX must be at least 1 connection, got {self.pool_max}")
        if not 0 <= self.pool_min <= self.pool_max:
            raise ConfigError(f"pool_min must be from 0 to pool_max ({self.pool_max}), got {self.pool_min}")
        if not self.pool_timeout > 0:
            raise ConfigError(f"pool_timeout must be a number of seconds > 0, got {self.pool_timeout}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("CINESYNC_HOME") or Path.cwd() / ".cinesync").expanduser().resolve()
        try:
            model = ModelSettings(
                dim=_int(env, "CINESYNC_DIM", 256),
                blend_weight=_float(env, "CINESYNC_BLEND_WEIGHT", ModelSettings.blend_weight),
            )
        except ConfigError as exc:  # "dim must be ..." -> "CINESYNC_DIM: dim must be ..."
            variable = {"dim": "CINESYNC_DIM", "blend_weight": "CINESYNC_BLEND_WEIGHT"}.get(str(exc).split()[0])
            raise ConfigError(f"{variable}: {exc}" if variable else str(exc)) from None
        return cls(
            home=home,
            database_url=env.get("CINESYNC_DATABASE_URL") or None,
            model=model,
            pool_max=_int(env, "CINESYNC_POOL_MAX", 4),
            pool_timeout=_pool_timeout(env),
            cache_mb=_cache_mb(env),
        )

    def with_model(self, **changes: Any) -> Settings:
        return replace(self, model=replace(self.model, **changes))


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from None


def _cache_mb(env: Mapping[str, str]) -> float:
    value = _float(env, "CINESYNC_CACHE_MB", Settings.cache_mb)
    if not value >= 0:
        raise ConfigError(f"CINESYNC_CACHE_MB must be a number of MiB >= 0, got {value}")
    return value


def _pool_timeout(env: Mapping[str, str]) -> float:
    value = _float(env, "CINESYNC_POOL_TIMEOUT", Settings.pool_timeout)
    if not value > 0:
        raise ConfigError(f"CINESYNC_POOL_TIMEOUT must be a number of seconds > 0, got {value}")
    return value


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}") from None
