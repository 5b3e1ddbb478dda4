"""The base-model contract, the ratings batch it is fitted on, and a model's registry entry.

Every base model is a ``BaseModel``: it is *fitted* on a batch of ratings, *learns* one rating
at a time (``learn_one``) and *scores* candidate films for a user's **current** history, so a
rating made a second ago already counts. A model whose learned structure is rebuilt in batches
says so through ``stale`` and rebuilds in ``refit``; a fully online model is never stale.

>>> import numpy as np
>>> class Constant(BaseModel):
...     name = "constant"
...     def fit(self, ratings): return self
...     def learn_one(self, user, film, stars): pass
...     def score(self, history, candidates, user=None): return np.ones(len(candidates))
>>> m = Constant().fit(Ratings.empty())
>>> m.stale, m.score({}, np.array([1, 2])).tolist()
(False, [1.0, 1.0])
"""

from __future__ import annotations

import abc
import io
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BaseModel",
    "Ratings",
    "ModelSpec",
    "Param",
    "FloatArray",
    "IntArray",
    "Arrays",
    "newest_first",
    "save_state",
    "read_state",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Arrays = dict[str, NDArray[Any]]  # a learned state: named numeric arrays (``state``)


@dataclass(frozen=True)
class Ratings:
    """Column arrays of a rating stream (same length, oldest first when ordered)."""

    users: IntArray
    films: IntArray
    stars: NDArray[np.float32]
    timestamps: FloatArray | None = None  # seconds, optional

    def __post_init__(self) -> None:
        n = len(self.users)
        if len(self.films) != n or len(self.stars) != n:
            raise ValueError("users, films and stars must have the same length")

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def empty(cls) -> Ratings:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))


def newest_first(history: Mapping[int, float]) -> Iterator[int]:
    """The films of a history, most recent first (a history is a mapping in time order)."""
    return reversed(history) if isinstance(history, dict) else reversed(list(history))


class BaseModel(abc.ABC):
    """A collaborative recommender the blend uses (one *term* of the blend, see ``ensemble``).

    Subclasses set ``name`` and implement ``fit``, ``learn_one`` and ``score``. ``score`` must
    not mutate its arguments, must return one finite float per candidate (higher is better),
    and must give the same scores for the same data (seeded).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def fit(self, ratings: Ratings) -> BaseModel:
        """Learn from a batch of ratings, replacing what was learned; returns the model."""

    @abc.abstractmethod
    def learn_one(self, user: int, film: int, stars: float) -> None:
        """Take one more rating into account (cheap: O(1) or a log append)."""

    @abc.abstractmethod
    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        """Scores for ``candidates`` given the user's ``{film: stars}`` history in time order.

        ``user`` (optional) identifies whose history it is, so a model may keep running
        per-user scores between calls instead of recomputing them; the result must not depend
        on it."""

    @property
    def stale(self) -> bool:
        """True when ``refit`` is due (the learned structure lags the ratings learned)."""
        return False

    def refit(self) -> None:  # noqa: B027 - a fully online model has nothing to rebuild
        """Rebuild the learned structure from every rating learned so far (nothing to do for
        a fully online model). Thread-safe: the service calls it in a background thread."""

    def state(self) -> Arrays:
        """What ``fit`` and ``learn_one`` learned, as named numeric arrays (what ``cinesync
        train`` publishes). A model that learns nothing returns ``{}`` (the default)."""
        return {}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        """Make a published ``state()`` this model's, as if it had been fitted on the same
        ratings: the same scores, without fitting. Afterwards ``learn_one`` keeps only what the
        model learns online (see each model) and the model is never ``stale``: a serving
        process waits for the next published version instead of refitting."""
        if arrays:
            raise ValueError(f"{self.name} has no state to load, got {sorted(arrays)}")

    def cache_bytes(self) -> int:
        """Bytes of per-user state kept between calls (scores, recent films); 0 by default."""
        return 0

    def limit_cache(self, max_bytes: int) -> None:  # noqa: B027 - nothing kept per user by default
        """Bound the per-user state kept between calls to ``max_bytes`` (least recently used
        users go first)."""


def save_state(arrays: Mapping[str, NDArray[Any]]) -> bytes:
    """A state as bytes (``np.savez``; numeric arrays only, so reading needs no pickle).

    >>> a = read_state(save_state({"ids": np.array([3, 5]), "weight": np.array(1.5)}))
    >>> a["ids"].tolist(), float(a["weight"])
    ([3, 5], 1.5)
    """
    for name, value in arrays.items():
        if np.asarray(value).dtype.kind not in "biuf":
            raise TypeError(f"state array {name!r} must be numeric, got {np.asarray(value).dtype}")
    buffer = io.BytesIO()
    named: dict[str, Any] = {name: np.asarray(value) for name, value in arrays.items()}
    np.savez(buffer, **named)
    return buffer.getvalue()


def read_state(data: bytes) -> Arrays:
    """The arrays ``save_state`` wrote (``allow_pickle=False``: an object array is refused)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


MAX_COUNT = 1_000_000  # a whole-number setting (neighbours, factors, films, iterations) above this is a typo
MAX_MAGNITUDE = 1e9  # a real-valued setting without a declared maximum (a regularisation, a weight)


@dataclass(frozen=True)
class Param:
    """One setting of a base model, as the engine's flat settings name it.

    ``field`` is the name in ``ModelSettings`` (and in saved settings, the tuner's output and
    the dashboard), ``argument`` the model constructor's argument. Two models may share a field
    (e.g. ``recency_half_life``) when they declare it identically.
    """

    field: str
    argument: str
    default: float
    kind: type[int] | type[float] = float
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive
    grid: tuple[float, ...] = ()  # values ``cinesync tune`` tries (empty: not tuned)
    help: str = ""

    def check(self, value: float) -> str | None:
        """Why ``value`` is not acceptable, or None."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{self.field} must be a number, got {value!r}"
        if self.kind is int and value != int(value):
            return f"{self.field} must be an integer, got {value!r}"
        if self.minimum is not None and not value >= self.minimum:
            return f"{self.field} must be >= {self.minimum:g}, got {value}"
        if not math.isfinite(value):
            return f"{self.field} must be a finite number, got {value!r}"
        if self.maximum is not None and not value <= self.maximum:
            return f"{self.field} must be <= {self.maximum:g}, got {value}"
        if self.maximum is None and abs(value) > (MAX_COUNT if self.kind is int else MAX_MAGNITUDE):
            # no declared maximum: still far below what the libraries underneath overflow on
            # (knn_neighbours=1e12 was saved, then `train` failed inside implicit)
            limit = MAX_COUNT if self.kind is int else MAX_MAGNITUDE
            return f"{self.field} must be at most {limit:,.0f} in size, got {value:g}"
        return None


@dataclass(frozen=True)
class ModelSpec:
    """A base model's registry entry: everything the engine needs to know about it.

    ``factory`` builds the model from its constructor arguments (each ``Param``'s ``argument``);
    ``weight`` is its default prior weight in the blend (0: built only when asked for by name);
    ``weight_grid`` the weights ``cinesync tune`` tries.
    """

    name: str
    factory: Callable[..., BaseModel]
    weight: float
    params: tuple[Param, ...] = ()
    summary: str = ""
    weight_grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8)

    @property
    def weight_field(self) -> str:
        """The flat settings name of the prior weight, ``weight_<name>``."""
        return f"weight_{self.name}"

    def build(self, values: Mapping[str, float]) -> BaseModel:
        """The model, constructed from settings values by flat field name."""
        kwargs = {p.argument: p.kind(values.get(p.field, p.default)) for p in self.params}
        return self.factory(**kwargs)
