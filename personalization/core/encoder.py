"""ItemEncoder: deterministic content vectors for films.

Every feature ("genre:Drama", "director:Agnès Varda", "decade:1970", ...) gets a fixed dense +-1
vector derived from BLAKE2b of its name: the same on every process and machine, no salted
``hash()``, no random generator. A film's vector is a weighted sum of its features' vectors:

* inside a field, a feature weighs its inverse document frequency, so rare features count more;
* each field is normalised before the fields are mixed with fixed field weights, so 30 actors
  cannot drown 2 genres;
* the result has unit length. A film with no metadata gets its own id-derived unit vector.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ItemEncoder", "FilmFeatures", "film_features"]

FIELD_WEIGHTS = {"genre": 1.0, "director": 0.7, "actor": 0.7, "decade": 0.5, "tag": 0.5, "meta": 0.4}


@dataclass(frozen=True)
class FilmFeatures:
    film_id: int
    features: Mapping[str, tuple[str, ...]]  # field -> feature names


def film_features(
    film_id: int,
    *,
    genres: Iterable[str] | None = (),
    directors: Iterable[str] | None = (),
    actors: Iterable[str] | None = (),
    year: int | None = None,
    metadata: Mapping[str, object] | None = None,
) -> FilmFeatures:
    """Turn a film's metadata into fielded feature names (normalised, de-duplicated)."""

    def clean(values: Iterable[object] | None) -> tuple[str, ...]:
        seen = dict.fromkeys(str(v).strip().lower() for v in (values or ()) if str(v).strip())
        return tuple(seen)

    fields: dict[str, tuple[str, ...]] = {
        "genre": clean(g for g in genres or () if g and g != "(no genres listed)"),
        "director": clean(directors),
        "actor": clean(actors),
        "decade": (f"{int(year) // 10 * 10}",) if year else (),
    }
    meta: list[str] = []
    for key, value in sorted((metadata or {}).items()):
        if isinstance(value, (list, tuple)):
            meta.extend(f"{key}={v}" for v in value)
        elif value not in (None, ""):
            meta.append(f"{key}={value}")
    fields["meta"] = clean(meta)
    return FilmFeatures(int(film_id), {k: v for k, v in fields.items() if v})


@dataclass
class ItemEncoder:
    """Content vectors for films.

    >>> enc = ItemEncoder(dim=16)
    >>> v = enc.encode(film_features(1, genres=["Drama"], year=1994))
    >>> round(float(np.linalg.norm(v)), 6), v.dtype.name
    (1.0, 'float32')
    >>> bool(np.array_equal(v, ItemEncoder(dim=16).encode(film_features(1, genres=["Drama"], year=1994))))
    True
    """

    dim: int = 256
    field_weights: Mapping[str, float] = field(default_factory=lambda: dict(FIELD_WEIGHTS))
    document_frequency: Counter[str] = field(default_factory=Counter)
    n_documents: int = 0
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def fit(self, films: Iterable[FilmFeatures]) -> ItemEncoder:
        """Count how many films carry each feature (for the rarity weights)."""
        df: Counter[str] = Counter()
        n = 0
        for film in films:
            n += 1
            for name, values in film.features.items():
                df.update(f"{name}:{v}" for v in values)
        self.document_frequency, self.n_documents = df, n
        return self

    def feature_vector(self, key: str) -> np.ndarray:
        """The fixed +-1/sqrt(dim) vector of one feature, from BLAKE2b of its name."""
        vec = self._cache.get(key)
        if vec is None:
            need = math.ceil(self.dim / 8)
            digest = b""
            counter = 0
            while len(digest) < need:
                digest += hashlib.blake2b(f"{counter}|{key}".encode(), digest_size=64).digest()
                counter += 1
            bits = np.unpackbits(np.frombuffer(digest[:need], dtype=np.uint8))[: self.dim]
            vec = (bits.astype(np.float32) * 2.0 - 1.0) / np.float32(math.sqrt(self.dim))
            self._cache[key] = vec
        return vec

    def idf(self, key: str) -> float:
        # Smoothed so that a feature unseen at fit time (a new film) gets the rarest weight.
        return math.log((1.0 + self.n_documents) / (1.0 + self.document_frequency.get(key, 0))) + 1.0

    def encode(self, film: FilmFeatures) -> np.ndarray:
        total = np.zeros(self.dim, dtype=np.float64)
        for name, values in film.features.items():
            if not values:
                continue
            part = np.zeros(self.dim, dtype=np.float64)
            for value in values:
                key = f"{name}:{value}"
                part += self.idf(key) * self.feature_vector(key)
            norm = np.linalg.norm(part)
            if norm > 0:
                total += self.field_weights.get(name, FIELD_WEIGHTS["meta"]) * part / norm
        norm = np.linalg.norm(total)
        if norm == 0:  # no metadata: an id-derived vector, valid and unlike every other film
            return self.feature_vector(f"film:{film.film_id}").copy() * 1.0
        return (total / norm).astype(np.float32)

    def encode_many(self, films: Iterable[FilmFeatures]) -> np.ndarray:
        rows = [self.encode(f) for f in films]
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, self.dim), np.float32)
