"""The model store: versions of the collaborative models published by ``cinesync train`` (SQL in
``model_queries``), and the bulk reads the trainer needs.

A version is a row of ``model_versions`` (the settings used, how many ratings, when) and one
``model_arrays`` row per base model holding its state as bytes (``core.base_models.save_state``:
``np.savez``, read with ``allow_pickle=False``). ``publish`` writes a version, drops versions
older than the newest ``keep`` and notifies every process, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psycopg_pool import ConnectionPool

from personalization.storage import model_queries as mq
from personalization.storage import queries as q

__all__ = ["ModelVersion", "ModelStore", "RatingColumns", "parse_binary_ratings"]


@dataclass(frozen=True)
class ModelVersion:
    """One published version of the collaborative models."""

    id: int
    created_at: datetime
    settings: dict[str, Any]
    n_ratings: int
    engine: str
    fit_seconds: float | None
    models: tuple[str, ...]
    nbytes: int  # the arrays' size, all models together
    ratings_fingerprint: str | None = None  # what it was fitted on (``ModelStore.ratings_fingerprint``)

    def describe(self) -> str:
        """``version 3 (2026-11-30 10:20 UTC, 100,004 ratings, als+ease+...)``."""
        when = self.created_at.strftime("%Y-%m-%d %H:%M %Z").strip()
        models = "+".join(self.models) or "no models"
        return f"version {self.id} ({when}, {self.n_ratings:,} ratings, {models})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "n_ratings": self.n_ratings,
            "engine": self.engine,
            "fit_seconds": self.fit_seconds,
            "models": list(self.models),
            "bytes": self.nbytes,
        }


@dataclass(frozen=True)
class RatingColumns:
    """Every stored rating as columns, oldest first."""

    users: NDArray[np.int64]
    films: NDArray[np.int64]
    stars: NDArray[np.float32]
    timestamps: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.users)


class ModelStore:
    """Published model versions and the trainer's reads, over the service's pool."""

    def __init__(self, pool: ConnectionPool[Any]):
        self.pool = pool

    def publish(
        self,
        settings: Mapping[str, Any],
        n_ratings: int,
        arrays: Mapping[str, bytes],
        *,
        note: str,
        engine: str = "numpy",
        fit_seconds: float | None = None,
        keep: int = 3,
        fingerprint: str | None = None,
    ) -> int:
        """Store a new version (``arrays``: each model's state as bytes), keep the newest
        ``keep`` versions, and send ``note`` to every process (delivered at commit). Returns the
        new version's id."""
        if keep < 1:
            raise ValueError("keep at least the version just published")
        params = {
            "settings": json.dumps(dict(settings)),
            "n_ratings": int(n_ratings),
            "engine": engine,
            "fit_seconds": fit_seconds,
            "fingerprint": fingerprint,
        }
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(mq.INSERT_VERSION, params).fetchone()
            assert row is not None  # RETURNING one row
            version = int(row[0])
            with conn.cursor() as cur:
                for model, data in arrays.items():
                    cur.execute(mq.INSERT_ARRAYS, (version, model, data))
            conn.execute(mq.DELETE_OLD_VERSIONS, (keep,))
            conn.execute(q.NOTIFY, (note,))
        return version

    def versions(self, limit: int = 5) -> list[ModelVersion]:
        """The newest published versions, newest first."""
        with self.pool.connection() as conn:
            rows = conn.execute(mq.VERSIONS, (limit,)).fetchall()
        return [_version(row) for row in rows]

    def version(self, version: int) -> ModelVersion | None:
        with self.pool.connection() as conn:
            row = conn.execute(mq.VERSION, (version,)).fetchone()
        return _version(row) if row is not None else None

    def newest(self) -> ModelVersion | None:
        found = self.versions(1)
        return found[0] if found else None

    def newest_id(self) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute(mq.NEWEST_VERSION_ID).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def arrays(self, models: Iterable[str], version: int | None = None) -> tuple[int, dict[str, bytes]] | None:
        """(version, {model: bytes}) of ``version`` (the newest when None) for those of
        ``models`` it holds; None when there is no such version (or it holds none of them)."""
        names = list(models)
        with self.pool.connection() as conn, conn.cursor(binary=True) as cur:
            if version is None:
                rows = cur.execute(mq.NEWEST_ARRAYS, (names,)).fetchall()
            else:
                rows = cur.execute(mq.VERSION_ARRAYS, (version, names)).fetchall()
        if not rows:
            return None
        return int(rows[0][0]), {str(m): bytes(data) for _, m, data in rows}

    def published(self, models: Iterable[str]) -> tuple[ModelVersion, dict[str, bytes]] | None:
        """The newest version and ``{model: bytes}`` for those of ``models`` it holds, read in one
        snapshot (a publish that deletes that version meanwhile cannot leave the arrays without
        their version); None when there is no version (or it holds none of them)."""
        names = list(models)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(mq.SNAPSHOT)
            with conn.cursor(binary=True) as cur:
                rows = cur.execute(mq.NEWEST_ARRAYS, (names,)).fetchall()
            if not rows:
                return None
            row = conn.execute(mq.VERSION, (int(rows[0][0]),)).fetchone()
        if row is None:
            return None
        return _version(row), {str(m): bytes(data) for _, m, data in rows}

    def rating_count(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(mq.RATING_COUNT).fetchone()
        return int(row[0]) if row else 0

    def ratings_fingerprint(self) -> str:
        """The stored ratings' count and the sum of their row hashes (``count:sum``): equal
        fingerprints, the same ratings (up to a hash collision). One scan of ``ratings``."""
        with self.pool.connection() as conn:
            row = conn.execute(mq.RATINGS_FINGERPRINT).fetchone()
        return f"{int(row[0])}:{row[1]}" if row else "0:0"

    def read_ratings(self, chunk_rows: int = 1 << 20) -> RatingColumns:
        """Every stored rating, oldest first, through binary COPY (no Python object per rating;
        memory: the columns plus one chunk)."""
        parts: list[np.ndarray] = []
        pending = bytearray()
        header = True
        with self.pool.connection() as conn, conn.cursor() as cur, cur.copy(mq.COPY_RATINGS) as copy:
            for block in copy:
                pending += block
                if header:
                    if len(pending) < _HEADER_MIN:
                        continue
                    del pending[: _header_length(pending)]
                    header = False
                if len(pending) >= chunk_rows * _ROW.itemsize:
                    whole = len(pending) // _ROW.itemsize * _ROW.itemsize
                    parts.append(parse_binary_ratings(bytes(pending[:whole])))
                    del pending[:whole]
        if header:
            raise RuntimeError("COPY returned no header")
        if pending[-2:] != b"\xff\xff":
            raise RuntimeError("COPY's trailer is missing: the ratings were cut short")
        del pending[-2:]
        parts.append(parse_binary_ratings(bytes(pending)))
        rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return RatingColumns(
            rows["user"].astype(np.int64),
            rows["film"].astype(np.int64),
            rows["stars"].astype(np.float32),
            rows["at"].astype(np.float64),
        )

    def film_counts(self, min_stars: float) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """(films, ratings >= ``min_stars``, all ratings) per rated film, by film id."""
        with self.pool.connection() as conn:
            rows = conn.execute(mq.FILM_COUNTS, (min_stars,)).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        films, good, total = (np.array(c) for c in zip(*rows))
        return films.astype(np.int64), good.astype(np.float64), total.astype(np.float64)


def _version(row: tuple[Any, ...]) -> ModelVersion:
    i, at, settings, n, engine, seconds, models, nbytes, fingerprint = row
    return ModelVersion(
        int(i), at, dict(settings or {}), int(n), str(engine), seconds, tuple(models), int(nbytes), fingerprint
    )


# A binary COPY row of (bigint, integer, real, double precision): a field count, then each field's
# length and big-endian value. Fixed width, since none is NULL.
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("n_user", ">i4"),
        ("user", ">i8"),
        ("n_film", ">i4"),
        ("film", ">i4"),
        ("n_stars", ">i4"),
        ("stars", ">f4"),
        ("n_at", ">i4"),
        ("at", ">f8"),
    ]
)
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_MIN = len(_SIGNATURE) + 8  # signature, flags, extension length


def _header_length(data: bytes | bytearray) -> int:
    if bytes(data[: len(_SIGNATURE)]) != _SIGNATURE:
        raise RuntimeError("not a PostgreSQL binary COPY stream")
    extension = int.from_bytes(data[len(_SIGNATURE) + 4 : _HEADER_MIN], "big")
    return _HEADER_MIN + extension


def parse_binary_ratings(data: bytes) -> np.ndarray:
    """Whole rows of ``COPY_RATINGS``'s binary stream (header and trailer removed) as a
    structured array; a row with another shape (a NULL, other types) is an error."""
    if len(data) % _ROW.itemsize:
        raise RuntimeError("a binary COPY row is not the expected (bigint, integer, real, float8)")
    rows = np.frombuffer(data, _ROW)
    if len(rows) and not (
        np.all(rows["fields"] == 4)
        and np.all(rows["n_user"] == 8)
        and np.all(rows["n_film"] == 4)
        and np.all(rows["n_stars"] == 4)
        and np.all(rows["n_at"] == 8)
    ):
        raise RuntimeError("a binary COPY row is not the expected (bigint, integer, real, float8)")
    return rows
