"""The analyst's side: load what the engine stored, recompute it in batch, look inside it.

* ``loaders``: PostgreSQL / MovieLens files / Parquet -> Polars frames (``tables.Tables``), and
  those frames -> DuckDB over Arrow (the I/O edge; everything else here is pure).
* ``preferences_polars`` and ``preferences_duckdb``: the preference analysis of every user at
  once, written twice, giving ``profile_frames.ProfileFrames``; ``profile_frames.differences``
  checks them against each other and against the online engine's stored profiles.
* ``embeddings``: vector norms, drift over time, nearest films, a 2-D PCA map.
* ``studies``: replay metrics as a function of learning rate and blend weight (tidy frames).
* ``sandbox``: a throw-away engine loaded with synthetic or MovieLens data (notebooks, bench).
* ``cli``: ``cinesync export parquet DIR``.

Importing this package is cheap: the submodules (and Polars/DuckDB) load when first used.
"""

import importlib

from personalization.optional import require_extra

require_extra("analytics")  # checked without importing: Polars and DuckDB still load when used

__all__ = [
    "loaders",
    "tables",
    "profile_frames",
    "preferences_polars",
    "preferences_duckdb",
    "embeddings",
    "studies",
    "sandbox",
]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
