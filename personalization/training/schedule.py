"""When ``cinesync train`` runs again: on a schedule (``--every 15m``), when enough new ratings
arrived (``--after N``), or whichever comes first (pure functions, no I/O).

>>> s = Schedule(every=parse_duration("15m"), after=1000)
>>> due(s, now=600.0, last_at=0.0, n_ratings=5_400, last_n_ratings=5_000)
False
>>> due(s, now=600.0, last_at=0.0, n_ratings=6_000, last_n_ratings=5_000)
True
>>> due(s, now=900.0, last_at=0.0, n_ratings=5_000, last_n_ratings=5_000)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Schedule", "due", "parse_duration"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1.5h``, ``1d`` or a plain number of seconds (> 0).

    >>> parse_duration("15m"), parse_duration("90"), parse_duration("1.5h")
    (900.0, 90.0, 5400.0)
    """
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(
            f"a duration is a positive number of seconds, or one with s, m, h or d (e.g. 90, 15m, 1.5h), got {text!r}"
        )
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@dataclass(frozen=True)
class Schedule:
    """``every``: seconds between two trainings; ``after``: new ratings that make one due.
    Neither: train once."""

    every: float | None = None
    after: int | None = None

    def __post_init__(self) -> None:
        if self.every is not None and not self.every > 0:
            raise ValueError(f"every must be > 0 seconds, got {self.every}")
        if self.after is not None and self.after < 1:
            raise ValueError(f"after must be >= 1 rating, got {self.after}")

    @property
    def once(self) -> bool:
        return self.every is None and self.after is None

    def describe(self) -> str:
        """``every 900 s or when 1000 new ratings arrived``."""
        parts = [f"every {self.every:g} s"] if self.every is not None else []
        if self.after is not None:
            parts.append(f"when {self.after} new ratings arrived")
        return " or ".join(parts) or "once"


def due(schedule: Schedule, *, now: float, last_at: float | None, n_ratings: int, last_n_ratings: int | None) -> bool:
    """Whether to train now. ``last_at``/``last_n_ratings``: when the newest published version
    was made and on how many stored ratings (None: nothing published yet, so a training is due
    as soon as there are ratings). New ratings are counted as stored ratings now minus those
    (a re-rating replaces a rating: it is not new; a forgotten user's ratings count back)."""
    if last_at is None or last_n_ratings is None:
        return n_ratings > 0
    if schedule.after is not None and n_ratings - last_n_ratings >= schedule.after:
        return True
    return schedule.every is not None and now - last_at >= schedule.every
