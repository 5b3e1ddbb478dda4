"""The online user model: one event in, the user's taste vector updated.

A user's taste is a unit vector in the item space. An event with strength ``s`` in [-1, 1] on a
film with content vector ``x`` moves it ``u <- normalise(u + lr * s * x)``: towards films rated
above 3 stars, away from films rated below, not at all for 3 stars. Strong signals (love, hate,
5 stars, 1 star) use ``strong_learning_rate``.

Each (user, film) pair has one effective signal: the latest. Re-rating a film therefore *replaces*
its earlier effect: the vector is rebuilt by folding the user's effective signals in time order,
which is exactly what the online path computes when events arrive in order (``rebuild``).

Recency (``half_life_days`` h > 0, off by default): before an event is added, the vector is
shrunk by ``0.5 ** (elapsed / h)``, elapsed being the days since the user's previous event, so
an older event's pull fades against newer ones (its weight halves every h days of age). What
holds: ``rebuild`` of timestamped events equals the steps, each given the time since the
previous event (``elapsed_since``); with h = 0 times are ignored and nothing changes. Only the
gaps between a user's events matter, never the clock at read time: a normalised vector is the
same direction however long the user stays away.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from personalization.core.signals import is_strong

__all__ = ["UserModel", "OnlineUserModel", "is_valid_vector", "age_weight", "elapsed_since", "DAY"]

DAY = 86_400.0  # seconds


def age_weight(age_seconds: float, half_life_days: float) -> float:
    """``0.5 ** (age / half_life)``: 1 when the half-life is off (<= 0) or the age is not
    positive, in (0, 1] otherwise (0.0 once it underflows, never NaN or inf)."""
    if not half_life_days > 0 or not age_seconds > 0 or not math.isfinite(half_life_days):
        return 1.0
    if not math.isfinite(age_seconds):
        return 0.0
    return float(0.5 ** (age_seconds / (half_life_days * DAY)))


def elapsed_since(previous: float | None, at: float | None) -> float:
    """Seconds from the previous event to this one (0 when either is unknown or out of order)."""
    if previous is None or at is None:
        return 0.0
    return max(0.0, float(at) - float(previous))


def is_valid_vector(vec: object, dim: int) -> bool:
    """A stored vector is usable when it has the right length, is finite and is unit or zero."""
    if vec is None:
        return False
    arr = np.asarray(vec)
    if arr.shape != (dim,) or not np.all(np.isfinite(arr)):
        return False
    norm = float(np.linalg.norm(arr))
    return norm == 0.0 or abs(norm - 1.0) < 1e-3


@dataclass(frozen=True)
class UserModel:
    """The pure update rule (no state, no I/O): what the service and the replay both call."""

    dim: int = 256
    learning_rate: float = 0.1
    strong_learning_rate: float = 0.15
    half_life_days: float = 0.0  # 0 = off (see the module docstring)

    def zero(self) -> np.ndarray:
        return np.zeros(self.dim, dtype=np.float32)

    def step(self, vector: np.ndarray, item: np.ndarray, strength: float, elapsed: float = 0.0) -> np.ndarray:
        """Return the vector after one event (the input is not mutated). ``elapsed``: seconds
        since the user's previous event, read only when the half-life is on."""
        if strength == 0.0 or not np.all(np.isfinite(item)):
            return np.asarray(vector, dtype=np.float32).copy()
        lr = self.strong_learning_rate if is_strong(strength) else self.learning_rate
        keep = age_weight(elapsed, self.half_life_days)
        updated = keep * vector.astype(np.float64) + lr * strength * item.astype(np.float64)
        norm = np.linalg.norm(updated)
        if not np.isfinite(norm) or norm < 1e-12:
            # Exactly cancelled (e.g. loved then hated the same lone film): no taste known.
            return self.zero()
        return (updated / norm).astype(np.float32)

    def rebuild(
        self, events: Iterable[tuple[np.ndarray, float] | tuple[np.ndarray, float, float | None]]
    ) -> np.ndarray:
        """Fold ``(item_vector, strength)`` or ``(item_vector, strength, at)`` events (``at`` in
        seconds, e.g. a Unix time), oldest first, from nothing: the same steps the online path
        took, each given the time since the previous event."""
        vector = self.zero()
        previous: float | None = None
        for event in events:
            item, strength = event[0], event[1]
            at = event[2] if len(event) > 2 else None  # the 3-tuple form
            vector = self.step(vector, item, strength, elapsed_since(previous, at))
            if at is not None:
                previous = float(at)
        return vector


@dataclass
class OnlineUserModel:
    """In-memory, river-style: ``learn_one(user, film, strength)``; unseen users start fresh.

    Used by the replay evaluation; the service keeps the same state in PostgreSQL.

    >>> import numpy as np
    >>> items = {1: np.eye(4, dtype=np.float32)[0], 2: np.eye(4, dtype=np.float32)[1]}
    >>> m = OnlineUserModel(UserModel(dim=4), items.__getitem__)
    >>> m.learn_one("ann", 1, 1.0); m.learn_one("ann", 2, -0.5)
    >>> [round(float(x), 3) for x in m.vector("ann")]
    [0.999, -0.05, 0.0, 0.0]
    """

    rule: UserModel
    item_vector: Callable[[int], np.ndarray]
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    # user -> {film: strength}
    history: defaultdict[int, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    # user -> {film: the time of its signal} (only for events learned with ``at``)
    times: defaultdict[int, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    # The film vectors' version (``ItemVectors.version``); a vector folded under another version
    # is rebuilt from the user's signals the next time it is read, as the service rebuilds a
    # stored vector whose ``model_version`` is not the current one.
    version: Callable[[], int] = lambda: 0
    versions: dict[int, int] = field(default_factory=dict)

    def vector(self, user: int) -> np.ndarray:
        vec = self.vectors.get(user)
        if vec is None:
            return self.rule.zero()
        current = self.version()
        if self.versions.get(user, 0) != current:
            vec = self._rebuilt(user)
            self.vectors[user], self.versions[user] = vec, current
        return vec

    def _rebuilt(self, user: int) -> np.ndarray:
        times = self.times[user]
        return self.rule.rebuild((self.item_vector(f), s, times.get(f)) for f, s in self.history[user].items())

    def learn_one(self, user: int, film: int, strength: float, at: float | None = None) -> None:
        """Learn one signal; ``at`` (seconds) is the event's time, used by the half-life."""
        self.vector(user)  # brought to the current film vectors first
        self.versions[user] = self.version()
        seen, times = self.history[user], self.times[user]
        previous = times[next(reversed(seen))] if seen and next(reversed(seen)) in times else None
        replaced = film in seen
        seen.pop(film, None)
        times.pop(film, None)
        seen[film] = strength  # dicts keep insertion order: the latest signal goes last
        if at is not None:
            times[film] = float(at)
        if replaced:
            self.vectors[user] = self._rebuilt(user)
        else:
            elapsed = elapsed_since(previous, at)
            self.vectors[user] = self.rule.step(self.vector(user), self.item_vector(film), strength, elapsed)
