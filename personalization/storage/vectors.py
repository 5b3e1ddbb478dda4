"""float32 vectors <-> PostgreSQL ``real[]`` in binary form, straight from and to numpy.

The text form of a 256-value array costs more to build and parse than the rest of a rating's
transaction; the binary form is a fixed header plus (length, value) pairs, which numpy writes and
reads in one step. Registered on every pooled connection (see ``db.open_database``).
"""

from __future__ import annotations

import struct

import numpy as np
import numpy.typing as npt
from psycopg.abc import AdaptContext
from psycopg.adapt import Buffer, Dumper, Loader
from psycopg.pq import Format

__all__ = ["register_vector_adapters", "FLOAT4_OID", "FLOAT4_ARRAY_OID"]

FLOAT4_OID = 700
FLOAT4_ARRAY_OID = 1021
_PAIR = np.dtype([("length", ">i4"), ("value", ">f4")])
_HEADER = struct.Struct(">iiiii")  # ndim, has_null, element oid, length, lower bound


class Float4ArrayDumper(Dumper):
    """numpy array -> real[] (binary)."""

    format = Format.BINARY
    oid = FLOAT4_ARRAY_OID

    def dump(self, obj: npt.ArrayLike) -> bytes:
        values = np.asarray(obj, dtype=np.float32).ravel()
        pairs = np.empty(len(values), dtype=_PAIR)
        pairs["length"] = 4
        pairs["value"] = values
        return _HEADER.pack(1, 0, FLOAT4_OID, len(values), 1) + pairs.tobytes()


class Float4ArrayLoader(Loader):
    """real[] (binary) -> float32 numpy array. Anything but a NULL-free 1-D array loads as a
    length-1 NaN array, which the engine's vector check refuses (and then rebuilds)."""

    format = Format.BINARY

    def load(self, data: Buffer) -> npt.NDArray[np.float32]:
        data = bytes(data)
        ndim, has_null, _ = struct.unpack_from(">iii", data)
        if ndim == 0:
            return np.zeros(0, dtype=np.float32)
        if ndim != 1 or has_null:
            return np.full(1, np.nan, dtype=np.float32)
        length = struct.unpack_from(">i", data, 12)[0]
        pairs = np.frombuffer(data, dtype=_PAIR, count=length, offset=20)
        return pairs["value"].astype(np.float32)


def register_vector_adapters(conn: AdaptContext) -> None:
    conn.adapters.register_dumper(np.ndarray, Float4ArrayDumper)
    conn.adapters.register_loader(FLOAT4_ARRAY_OID, Float4ArrayLoader)
