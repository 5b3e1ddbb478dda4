"""Engine answers turned into tidy tables (pure: no Streamlit, no database).

Each function takes what a ``Service`` verb returned and gives a ``pandas.DataFrame`` with one
row per mark, which is both what the sortable tables show and what ``charts`` draws. Empty inputs
give empty frames with the same columns, so a page can test ``frame.empty`` and say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from .text import plural

__all__ = [
    "activity",
    "star_distribution",
    "genre_love",
    "features",
    "rating_styles",
    "recommendations",
    "genre_centroids",
    "taste_trajectory",
    "film_table",
    "similar",
    "fans",
    "nearest",
    "replay_results",
    "settings_versions",
    "settings_diff",
    "user_name",
    "user_label",
    "FEATURE_FIELDS",
]

FEATURE_FIELDS = ("genres", "directors", "actors", "decades")


def activity(overview: Mapping) -> pd.DataFrame:
    """Events per day: ratings, and each feedback kind, as (day, kind, count)."""
    rows = [(day, "rating", int(n)) for day, n in overview.get("ratings_per_day", ())]
    rows += [(day, f"feedback: {kind}", int(n)) for day, kind, n in overview.get("feedback_per_day", ())]
    frame = pd.DataFrame(rows, columns=["day", "kind", "count"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.sort_values(["day", "kind"], ignore_index=True)


def star_distribution(overview: Mapping) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(float(s), int(n)) for s, n in overview.get("star_distribution", ())], columns=["stars", "ratings"]
    )
    total = frame["ratings"].sum()
    frame["share"] = frame["ratings"] / total if total else 0.0
    return frame


def genre_love(overview: Mapping) -> pd.DataFrame:
    """Per genre: ratings of 4+ stars ("loved"), all ratings, mean stars; most loved first."""
    frame = pd.DataFrame(
        [(g, int(loved), int(rated), float(avg or 0.0)) for g, loved, rated, avg in overview.get("genres", ())],
        columns=["genre", "loved", "rated", "mean_stars"],
    )
    frame["loved_share"] = (frame["loved"] / frame["rated"]).where(frame["rated"] > 0, 0.0)
    return frame.sort_values(["loved", "genre"], ascending=[False, True], ignore_index=True)


def features(profile, field: str) -> pd.DataFrame:
    """A profile's favourite genres/directors/actors/decades with their significance."""
    scores = (getattr(profile, field, None) or []) if profile is not None else []
    return pd.DataFrame(
        [(f.name, f.n, f.mean, f.significance) for f in scores], columns=["name", "n", "mean", "significance"]
    )


def rating_styles(profile, community: pd.DataFrame) -> pd.DataFrame:
    """The user's share of each star value beside the community's (``star_distribution``)."""
    rows = []
    own = dict(profile.distribution) if profile is not None else {}
    total = sum(own.values())
    for stars, n in own.items():
        rows.append((float(stars), "this user", n / total if total else 0.0))
    for stars, share in zip(community.get("stars", ()), community.get("share", ())):
        rows.append((float(stars), "community", float(share)))
    return pd.DataFrame(rows, columns=["stars", "who", "share"])


def recommendations(recs) -> pd.DataFrame:
    """One row per pick: the score and the parts it is made of (weight x personal, rest x base)."""
    w = recs.blend_weight if recs is not None else 0.0
    rows = [
        (
            i,
            r.film.id,
            r.film.label,
            ", ".join(r.film.genres),
            r.score,
            w * r.personal,
            (1 - w) * r.base,
            r.personal,
            r.base,
            r.reason,
        )
        for i, r in enumerate(recs.items if recs is not None else (), 1)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "rank",
            "film_id",
            "film",
            "genres",
            "score",
            "personal_part",
            "base_part",
            "personal",
            "base",
            "reason",
        ],
    )


def genre_centroids(catalogue) -> dict[str, np.ndarray]:
    """The unit-length mean content vector of each genre's films: a direction per genre."""
    out = {}
    for genre in catalogue.genres():
        rows = catalogue.matrix[catalogue.genre_mask(genre)]
        centre = rows.mean(axis=0)
        norm = float(np.linalg.norm(centre))
        if norm > 0:
            out[genre] = (centre / norm).astype(np.float32)
    return out


def taste_trajectory(
    trajectory: Sequence, centroids: Mapping[str, np.ndarray], genres: Iterable[str] | None = None
) -> pd.DataFrame:
    """How the taste vector moved: after each signal, its cosine to each genre's direction.

    ``trajectory`` is ``Service.taste_trajectory`` ((time, film, strength, vector) per signal);
    ``genres`` picks which directions to follow (default: all of ``centroids``).
    """
    names = [g for g in (genres if genres is not None else centroids) if g in centroids]
    columns = ["step", "time", "film_id", "strength", "genre", "similarity"]
    if not trajectory or not names:
        return pd.DataFrame(columns=columns)
    directions = np.vstack([centroids[g] for g in names])
    rows = []
    for step, (at, film_id, strength, vector) in enumerate(trajectory, 1):
        v = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(v))
        sims = directions @ v / norm if norm > 0 else np.zeros(len(names))
        rows += [(step, at, int(film_id), float(strength), g, float(s)) for g, s in zip(names, sims)]
    return pd.DataFrame(rows, columns=columns)


def film_table(films: Sequence) -> pd.DataFrame:
    return pd.DataFrame(
        [(f.id, f.title, f.year, ", ".join(f.genres), ", ".join(f.directors)) for f in films],
        columns=["film_id", "title", "year", "genres", "directors"],
    )


def similar(neighbours: Sequence) -> pd.DataFrame:
    """``Service.similar_films``: (film, cosine) pairs, closest first."""
    return pd.DataFrame(
        [(f.id, f.label, ", ".join(f.genres), float(s)) for f, s in neighbours],
        columns=["film_id", "film", "genres", "similarity"],
    )


def fans(rows: Sequence[Mapping]) -> pd.DataFrame:
    """``Service.film_fans``: who rated the film 4 stars or more, by name (or "user N")."""
    return pd.DataFrame(
        [(r["user_id"], user_name(r["user_id"], r.get("name")), r["stars"]) for r in rows],
        columns=["user_id", "user", "stars"],
    )


def nearest(rows: Sequence, names: Mapping[int, str | None] | None = None) -> pd.DataFrame:
    """``Service.nearest_users``: (user, cosine of their taste to the film) pairs."""
    names = names or {}
    return pd.DataFrame(
        [(int(u), user_name(u, names.get(int(u))), float(s)) for u, s in rows],
        columns=["user_id", "user", "similarity"],
    )


class ReplayModelResult(Protocol):
    """What ``replay_results`` reads of a ``personalization.evaluation.replay.ModelResult``
    (structural, so this pure module needs no import of the optional replay evaluation)."""

    @property
    def model(self) -> str: ...
    @property
    def hr_at_10(self) -> float: ...
    @property
    def ndcg_at_10(self) -> float: ...
    @property
    def evaluated(self) -> int: ...
    @property
    def seconds(self) -> float: ...


class ReplayRun(Protocol):
    """What ``replay_results`` reads of a ``ReplayReport``: its per-model results."""

    @property
    def results(self) -> Sequence[ReplayModelResult]: ...


def replay_results(runs: Sequence[tuple[Mapping[str, object], ReplayRun]]) -> pd.DataFrame:
    """Flatten replay runs: each (settings used, ReplayReport) gives one row per model."""
    rows = []
    for used, report in runs:
        for r in report.results:
            rows.append(
                {
                    **used,
                    "model": r.model,
                    "hr_at_10": float(r.hr_at_10),
                    "ndcg_at_10": float(r.ndcg_at_10),
                    "evaluated": int(r.evaluated),
                    "seconds": float(r.seconds),
                }
            )
    return pd.DataFrame(rows)


def user_name(user_id: int, name: str | None = None) -> str:
    """What a table calls a member: their name, or "user N" for one who never gave a name."""
    return name or f"user {int(user_id)}"


def user_label(user: Mapping) -> str:
    return f"{user_name(user['id'], user.get('name'))} (id {user['id']}, {plural(user.get('n_ratings', 0), 'rating')})"


def _shown(value: object) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def settings_versions(versions: Sequence) -> pd.DataFrame:
    """One row per stored settings version (``Service.settings_history``), newest first."""
    rows = [
        {
            "version": v.version,
            "saved at": v.created_at,
            "from": v.source,
            "by": v.author,
            "changes": ", ".join(f"{n} {_shown(a)} -> {_shown(b)}" for n, (a, b) in v.changes.items()) or "no change",
        }
        for v in versions
    ]
    return pd.DataFrame(rows, columns=["version", "saved at", "from", "by", "changes"])


def settings_diff(in_force: Mapping[str, object], other: Mapping[str, object], label: str) -> pd.DataFrame:
    """The settings whose value differs between those in force and ``other`` (a stored version's)."""
    names = [n for n in in_force if n in other and in_force[n] != other[n]]
    names += [n for n in other if n not in in_force]
    rows = [{"setting": n, "in force": _shown(in_force.get(n)), label: _shown(other.get(n))} for n in names]
    return pd.DataFrame(rows, columns=["setting", "in force", label])
