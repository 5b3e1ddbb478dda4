"""Preference profiles of many users as three tidy frames, and how to compare two sets of them.

The online engine stores one ``PreferenceProfile`` per user (jsonb); the batch pipelines
(``preferences_polars``, ``preferences_duckdb``) compute all users at once. All three end up in
the same ``ProfileFrames`` shape, so ``differences`` can check them against each other: exact for
counts, names, ranks and styles, within a tolerance for floats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields

import polars as pl

from personalization.core.preferences import FIELDS, STAR_STEPS, PreferenceProfile

__all__ = [
    "ProfileFrames",
    "USER_SCHEMA",
    "FEATURE_SCHEMA",
    "DISTRIBUTION_SCHEMA",
    "STAR_KEYS",
    "from_profiles",
    "from_stored",
    "differences",
]

STAR_KEYS = tuple(f"{s:g}" for s in STAR_STEPS)  # the distribution keys: "0.5", "1", ..., "5"

# pl.Schema (not a plain dict): ``DataFrame.cast`` takes it as the whole frame's schema.
USER_SCHEMA = pl.Schema(
    {
        "user_id": pl.Int64,
        "n_ratings": pl.Int64,
        "mean_rating": pl.Float64,
        "style": pl.String,
        "style_delta": pl.Float64,
        "community_mean": pl.Float64,
        "diversity": pl.Float64,
    }
)
FEATURE_SCHEMA = pl.Schema(
    {
        "user_id": pl.Int64,
        "field": pl.String,
        "rank": pl.Int64,
        "name": pl.String,
        "n": pl.Int64,
        "mean": pl.Float64,
        "significance": pl.Float64,
    }
)
DISTRIBUTION_SCHEMA = pl.Schema({"user_id": pl.Int64, "stars": pl.String, "count": pl.Int64})
_KEYS = {"users": ["user_id"], "features": ["user_id", "field", "rank"], "distribution": ["user_id", "stars"]}


@dataclass
class ProfileFrames:
    """``users``: one row per user; ``features``: the top favourites per field, ranked from 1;
    ``distribution``: one row per user and star step (zeros included)."""

    users: pl.DataFrame
    features: pl.DataFrame
    distribution: pl.DataFrame

    def __post_init__(self) -> None:
        self.users = _sorted(self.users.select(list(USER_SCHEMA)).cast(USER_SCHEMA), "users")
        self.features = _sorted(self.features.select(list(FEATURE_SCHEMA)).cast(FEATURE_SCHEMA), "features")
        self.distribution = _sorted(
            self.distribution.select(list(DISTRIBUTION_SCHEMA)).cast(DISTRIBUTION_SCHEMA), "distribution"
        )

    def user(self, user_id: int) -> dict:
        """One user's result, shaped like ``PreferenceProfile.to_dict()`` (handy in a notebook)."""
        row = self.users.filter(pl.col("user_id") == user_id).to_dicts()
        if not row:
            raise KeyError(user_id)
        out = row[0]
        feats = self.features.filter(pl.col("user_id") == user_id).sort("field", "rank")
        for name in FIELDS:
            out[name] = feats.filter(pl.col("field") == name).select("name", "n", "mean", "significance").to_dicts()
        dist = self.distribution.filter(pl.col("user_id") == user_id)
        out["distribution"] = dict(zip(dist["stars"], dist["count"]))
        return out


def _sorted(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.sort(_KEYS[table])


def from_profiles(profiles: Iterable[PreferenceProfile | dict]) -> ProfileFrames:
    """Profiles (objects or their ``to_dict()``) as frames. Users without ratings are left out,
    like in the batch pipelines, which start from the ratings."""
    users, feats, dist = [], [], []
    for p in profiles:
        d = p.to_dict() if isinstance(p, PreferenceProfile) else p
        if not d.get("n_ratings"):
            continue
        uid = int(d["user_id"])
        users.append({k: d.get(k) for k in USER_SCHEMA} | {"user_id": uid})
        for name in FIELDS:
            for rank, f in enumerate(d.get(name) or (), start=1):
                feats.append(
                    {
                        "user_id": uid,
                        "field": name,
                        "rank": rank,
                        "name": f["name"],
                        "n": f["n"],
                        "mean": f["mean"],
                        "significance": f["significance"],
                    }
                )
        for key, count in (d.get("distribution") or {}).items():
            dist.append({"user_id": uid, "stars": key, "count": count})
    return ProfileFrames(
        pl.DataFrame(users, schema=USER_SCHEMA),
        pl.DataFrame(feats, schema=FEATURE_SCHEMA),
        pl.DataFrame(dist, schema=DISTRIBUTION_SCHEMA),
    )


def from_stored(user_preferences: pl.DataFrame) -> ProfileFrames:
    """The ``user_preferences`` table (profile as JSON text) as frames."""
    return from_profiles(json.loads(text) for text in user_preferences["profile"].to_list())


def differences(
    left: ProfileFrames, right: ProfileFrames, *, tolerance: float = 1e-9, names: tuple[str, str] = ("left", "right")
) -> pl.DataFrame:
    """Every disagreement between two results, one row each (empty when they agree).

    Rows present on one side only are reported with column ``"<row>"``. Floats agree when both
    are null or ``|a - b| <= tolerance``; everything else must be equal.
    """
    out = []
    for f in fields(ProfileFrames):
        table, keys = f.name, _KEYS[f.name]
        a, b = getattr(left, table), getattr(right, table)
        joined = a.with_columns(__in_l=pl.lit(True)).join(
            b.with_columns(__in_r=pl.lit(True)), on=keys, how="full", coalesce=True, suffix="__r"
        )
        key = (
            pl.concat_str([pl.col(k).cast(pl.String) for k in keys[1:]], separator="/") if len(keys) > 1 else pl.lit("")
        )
        head = [pl.lit(table).alias("table"), pl.col("user_id"), key.alias("key")]
        one_side = joined.filter(pl.col("__in_l").is_null() | pl.col("__in_r").is_null())
        if one_side.height:
            out.append(
                one_side.select(
                    *head,
                    pl.lit("<row>").alias("column"),
                    _presence("__in_l").alias(names[0]),
                    _presence("__in_r").alias(names[1]),
                )
            )
        both = joined.filter(pl.col("__in_l").is_not_null() & pl.col("__in_r").is_not_null())
        for c in (c for c in a.columns if c not in keys):
            x, y = pl.col(c), pl.col(f"{c}__r")
            close = (x - y).abs() <= tolerance if a.schema[c] == pl.Float64 else x == y
            same = (x.is_null() & y.is_null()) | close.fill_null(False)
            bad = both.filter(~same)
            if bad.height:
                out.append(
                    bad.select(
                        *head,
                        pl.lit(c).alias("column"),
                        x.cast(pl.String).alias(names[0]),
                        y.cast(pl.String).alias(names[1]),
                    )
                )
    schema = {
        "table": pl.String,
        "user_id": pl.Int64,
        "key": pl.String,
        "column": pl.String,
        names[0]: pl.String,
        names[1]: pl.String,
    }
    return pl.concat([d.cast(schema) for d in out]) if out else pl.DataFrame(schema=schema)


def _presence(column: str) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(pl.lit("missing")).otherwise(pl.lit("present"))
