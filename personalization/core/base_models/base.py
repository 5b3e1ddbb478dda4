"""The base-model contract and the ratings batch it is fitted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, runtime_checkable

import numpy as np

__all__ = ["BaseModel", "Ratings"]


@dataclass(frozen=True)
class Ratings:
    """Column arrays of a rating stream (same length, oldest first when ordered)."""

    users: np.ndarray   # int64
    films: np.ndarray   # int64
    stars: np.ndarray   # float32
    timestamps: np.ndarray | None = None  # float64 seconds, optional

    def __post_init__(self) -> None:
        n = len(self.users)
        if len(self.films) != n or len(self.stars) != n:
            raise ValueError("users, films and stars must have the same length")

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def empty(cls) -> "Ratings":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))


@runtime_checkable
class BaseModel(Protocol):
    name: str

    def fit(self, ratings: Ratings) -> "BaseModel":
        """Learn from a batch of ratings (replaces what was learned)."""

    def learn_one(self, user: int, film: int, stars: float) -> None:
        """Take one more rating into account."""

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        """Scores (higher is better) for ``candidates`` given the user's ``{film: stars}``."""
