"""The film catalogue in memory: ids, metadata and the content-vector matrix (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from personalization.core.encoder import ItemEncoder, film_features

__all__ = ["Film", "Catalogue"]


@dataclass(frozen=True)
class Film:
    id: int
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass
class Catalogue:
    films: list[Film]
    ids: np.ndarray  # int64, sorted ascending
    matrix: np.ndarray  # float32, len(ids) x dim, unit rows
    encoder: ItemEncoder
    _genre_masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _genres: list[str] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, films: Iterable[Film], dim: int) -> Catalogue:
        films = sorted(films, key=lambda f: f.id)
        feats = [
            film_features(
                f.id,
                genres=f.genres,
                directors=f.directors,
                actors=f.actors,
                year=f.year,
                metadata=_content_metadata(f.metadata),
            )
            for f in films
        ]
        encoder = ItemEncoder(dim=dim).fit(feats)
        matrix = encoder.encode_many(feats)
        ids = np.fromiter((f.id for f in films), dtype=np.int64, count=len(films))
        return cls(films, ids, matrix, encoder)

    def __len__(self) -> int:
        return len(self.films)

    def position(self, film_id: int) -> int | None:
        pos = int(np.searchsorted(self.ids, film_id))
        return pos if pos < len(self.ids) and self.ids[pos] == film_id else None

    def positions(self, film_ids: Sequence[int]) -> np.ndarray:
        """Positions of the known ids among ``film_ids`` (unknown ones are dropped)."""
        arr = np.asarray(list(film_ids), dtype=np.int64)
        if len(arr) == 0 or len(self.ids) == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.ids, arr).clip(0, len(self.ids) - 1)
        return np.asarray(pos[self.ids[pos] == arr], np.int64)

    def get(self, film_id: int) -> Film | None:
        pos = self.position(film_id)
        return None if pos is None else self.films[pos]

    def vector(self, film_id: int) -> np.ndarray:
        pos = self.position(film_id)
        if pos is None:
            raise KeyError(film_id)
        return np.asarray(self.matrix[pos])

    def genres(self) -> list[str]:
        if self._genres is None:
            self._genres = sorted({g for f in self.films for g in f.genres})
        return self._genres

    @property
    def n_genres(self) -> int:
        return len(self.genres())

    def genre_mask(self, genre: str) -> np.ndarray:
        key = genre.lower()
        mask = self._genre_masks.get(key)
        if mask is None:
            mask = np.fromiter(
                (any(g.lower() == key for g in f.genres) for f in self.films), dtype=bool, count=len(self.films)
            )
            self._genre_masks[key] = mask
        return mask

    def decade_mask(self, decade: int) -> np.ndarray:
        years = np.fromiter((f.year or 0 for f in self.films), dtype=np.int64, count=len(self.films))
        return np.asarray((years // 10 * 10) == (int(decade) // 10 * 10))


def _content_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only descriptive metadata shapes the content vector (not ids or free text)."""
    if not metadata:
        return {}
    return {k: v for k, v in metadata.items() if k in ("tags", "language", "country", "keywords")}
