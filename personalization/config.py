"""Settings: one small validated object, built once at each entry point and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "ModelSettings", "ConfigError"]


class ConfigError(ValueError):
    """A setting has a value the engine cannot work with."""


@dataclass(frozen=True)
class ModelSettings:
    """Learning and ranking hyper-parameters (the tuned defaults live here)."""

    dim: int = 256
    learning_rate: float = 0.1
    strong_learning_rate: float = 0.15
    blend_weight: float = 0.2
    min_ratings: int = 5
    # The collaborative blend (see ``ensemble``): each base model's prior weight (0 = not used),
    # the per-user weight learning, and the base models' hyper-parameters. Tuned by `cinesync tune`.
    weight_popularity: float = 0.01  # also the cold-start order: other terms know nothing yet
    weight_itemknn: float = 0.1176
    weight_ease: float = 0.248
    weight_als: float = 0.1957
    weight_trending: float = 0.0953
    weight_sequence: float = 0.3434
    trending_half_life: float = 2000.0  # in ratings (community-wide)
    ensemble_rate: float = 0.25     # Hedge step size (0 = fixed global blend)
    ensemble_share: float = 0.1     # pull back towards the prior each step
    knn_neighbours: int = 100
    ease_l2: float = 200.0
    ease_max_items: int = 3000
    recency_half_life: float = 5.0  # in ratings; 0 = every rating of the history weighs the same
    als_factors: int = 64
    als_regularization: float = 0.05
    als_alpha: float = 10.0
    refit_every: int = 5000         # events between refits of the collaborative models

    def __post_init__(self) -> None:
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
        for name in ("weight_popularity", "weight_itemknn", "weight_ease", "weight_als",
                     "weight_trending", "weight_sequence", "trending_half_life", "ensemble_rate", "ease_l2", "recency_half_life", "als_regularization", "als_alpha"):
            if not getattr(self, name) >= 0.0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.ensemble_share <= 1.0:
            raise ConfigError(f"ensemble_share must be in [0, 1], got {self.ensemble_share}")
        for name in ("knn_neighbours", "ease_max_items", "als_factors", "refit_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def model_weights(self) -> dict[str, float]:
        """The base models' prior weights by name (the ones > 0 are built and blended)."""
        return {"popularity": self.weight_popularity, "itemknn": self.weight_itemknn,
                "ease": self.weight_ease, "als": self.weight_als, "trending": self.weight_trending,
                "sequence": self.weight_sequence}

    @property
    def version(self) -> str:
        """Stored beside each embedding: a vector made under another version is rebuilt."""
        return f"enc1-d{self.dim}-lr{self.learning_rate:g}-{self.strong_learning_rate:g}"


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
    cache_size: int = 10_000
    cache_ttl_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        home = Path(env.get("CINESYNC_HOME") or Path.cwd() / ".cinesync").expanduser().resolve()
        model = ModelSettings(
            dim=_int(env, "CINESYNC_DIM", 256),
            blend_weight=_float(env, "CINESYNC_BLEND_WEIGHT", ModelSettings.blend_weight),
        )
        return cls(
            home=home,
            database_url=env.get("CINESYNC_DATABASE_URL") or None,
            model=model,
            pool_max=_int(env, "CINESYNC_POOL_MAX", 4),
        )

    def with_model(self, **changes) -> "Settings":
        return replace(self, model=replace(self.model, **changes))


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}") from None
