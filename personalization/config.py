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
    blend_weight: float = 0.6
    min_ratings: int = 5
    base_model: str = "popularity"

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
