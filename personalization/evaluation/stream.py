"""A rating stream in time order, and reading one from a MovieLens folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from personalization.core.base_models import Ratings
from personalization.core.catalogue import Film

__all__ = ["Stream", "load_stream", "same_second_groups"]


@dataclass
class Stream:
    """A rating stream and its films. Ratings are put in timestamp order (stable: ties keep the
    order given) when timestamps are present; otherwise the given order is the time order."""

    ratings: Ratings
    films: list[Film]
    name: str = "stream"

    def __post_init__(self) -> None:
        r = self.ratings
        if r.timestamps is not None and len(r) and np.any(np.diff(r.timestamps) < 0):
            order = np.argsort(r.timestamps, kind="stable")
            self.ratings = Ratings(r.users[order], r.films[order], r.stars[order], r.timestamps[order])

    def __len__(self) -> int:
        return len(self.ratings)

    def head(self, n: int) -> Stream:
        r = self.ratings
        ts = r.timestamps[:n] if r.timestamps is not None else None
        return Stream(Ratings(r.users[:n], r.films[:n], r.stars[:n], ts), self.films, self.name)


def same_second_groups(stream: Stream, keep_file_order: bool = False) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` index ranges of events sharing a timestamp (each event alone when the
    stream has no timestamps or ``keep_file_order``)."""
    n = len(stream)
    ts = stream.ratings.timestamps
    if ts is None or keep_file_order or n == 0:
        yield from ((i, i + 1) for i in range(n))
        return
    cuts = np.flatnonzero(np.diff(ts) != 0) + 1
    bounds = [0, *cuts.tolist(), n]
    yield from zip(bounds[:-1], bounds[1:])


def load_stream(directory: str | Path) -> Stream:
    """Ratings and films from a MovieLens folder (ml-100k or ml-latest layout, credits optional)."""
    from personalization.data.importers import read_movielens

    data = read_movielens(Path(directory))
    if data.ratings:
        users, films, stars, ts = (np.array(c) for c in zip(*data.ratings))
    else:
        users = films = np.zeros(0, np.int64)
        stars, ts = np.zeros(0, np.float32), np.zeros(0)
    ratings = Ratings(users.astype(np.int64), films.astype(np.int64), stars.astype(np.float32), ts.astype(np.float64))
    return Stream(ratings, data.films, Path(directory).name)
