"""Altair chart builders (pure: a tidy frame from ``frames`` in, an ``alt.Chart`` out).

Every chart carries tooltips; time and line charts zoom and pan (``interactive``), and legends
are clickable to highlight one series. Tests call these directly and read ``to_dict()``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = [
    "activity_chart",
    "stars_chart",
    "genres_chart",
    "features_chart",
    "styles_chart",
    "recommendations_chart",
    "trajectory_chart",
    "similarity_chart",
    "replay_chart",
]

METRIC_TITLES = {"hr_at_10": "HR@10", "ndcg_at_10": "NDCG@10"}


def _legend_highlight(field: str) -> alt.Parameter:
    return alt.selection_point(fields=[field], bind="legend")


def activity_chart(frame: pd.DataFrame) -> alt.Chart:
    """Events per day, stacked by kind (ratings and each feedback kind)."""
    pick = _legend_highlight("kind")
    return (
        alt.Chart(frame, title="Activity per day")
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="day"),
            y=alt.Y("sum(count):Q", title="events"),
            color=alt.Color("kind:N", title="event"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)),
            tooltip=[alt.Tooltip("day:T"), "kind:N", alt.Tooltip("sum(count):Q", title="events")],
        )
        .add_params(pick)
        .interactive(bind_y=False)
    )


def stars_chart(frame: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame, title="Rating distribution")
        .mark_bar()
        .encode(
            x=alt.X("stars:O", title="stars"),
            y=alt.Y("ratings:Q", title="ratings"),
            tooltip=["stars:O", "ratings:Q", alt.Tooltip("share:Q", format=".1%")],
        )
    )


def genres_chart(frame: pd.DataFrame, top: int = 15) -> alt.Chart:
    """Most-loved genres: ratings of 4+ stars, coloured by the genre's mean rating."""
    return (
        alt.Chart(frame.head(top), title="Most-loved genres (ratings of 4+ stars)")
        .mark_bar()
        .encode(
            y=alt.Y("genre:N", sort="-x", title=None),
            x=alt.X("loved:Q", title="loved ratings"),
            color=alt.Color("mean_stars:Q", title="mean stars", scale=alt.Scale(scheme="viridis")),
            tooltip=[
                "genre:N",
                "loved:Q",
                "rated:Q",
                alt.Tooltip("mean_stars:Q", format=".2f"),
                alt.Tooltip("loved_share:Q", format=".0%", title="loved share"),
            ],
        )
    )


def features_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Favourite features by significance (how far above the user's own mean, shrunk)."""
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None),
            x=alt.X("significance:Q", title="significance"),
            color=alt.Color("mean:Q", title="mean stars", scale=alt.Scale(domain=[0.5, 5], scheme="goldgreen")),
            tooltip=[
                "name:N",
                alt.Tooltip("significance:Q", format=".3f"),
                "n:Q",
                alt.Tooltip("mean:Q", format=".2f", title="mean stars"),
            ],
        )
    )


def styles_chart(frame: pd.DataFrame) -> alt.Chart:
    """The user's star shares beside the community's."""
    return (
        alt.Chart(frame, title="Rating style against the community")
        .mark_bar()
        .encode(
            x=alt.X("stars:O", title="stars"),
            xOffset="who:N",
            y=alt.Y("share:Q", title="share of ratings", axis=alt.Axis(format="%")),
            color=alt.Color("who:N", title=None),
            tooltip=["who:N", "stars:O", alt.Tooltip("share:Q", format=".1%")],
        )
    )


def recommendations_chart(frame: pd.DataFrame) -> alt.Chart:
    """Each pick's score as its two parts: blend weight x personal, the rest x base model."""
    long = frame.melt(
        id_vars=["rank", "film", "reason"],
        value_vars=["personal_part", "base_part"],
        var_name="part",
        value_name="contribution",
    )
    long["part"] = long["part"].map({"personal_part": "personal", "base_part": "base model"})
    return (
        alt.Chart(long, title="Score = personal part + base part")
        .mark_bar()
        .encode(
            y=alt.Y(
                "film:N",
                sort=alt.EncodingSortField("rank", order="ascending"),
                title=None,
                axis=alt.Axis(labelLimit=260),
            ),
            x=alt.X("sum(contribution):Q", title="score"),
            color=alt.Color("part:N", title=None, scale=alt.Scale(domain=["personal", "base model"])),
            tooltip=["film:N", "part:N", alt.Tooltip("contribution:Q", format=".3f"), "reason:N"],
        )
    )


def trajectory_chart(frame: pd.DataFrame) -> alt.Chart:
    """The taste vector's cosine to each genre direction after every signal."""
    pick = _legend_highlight("genre")
    return (
        alt.Chart(frame, title="How taste moved: similarity to each genre after every signal")
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="signal #"),
            y=alt.Y("similarity:Q", title="cosine to genre"),
            color=alt.Color("genre:N"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
            tooltip=[
                "step:Q",
                alt.Tooltip("time:T"),
                "film_id:Q",
                alt.Tooltip("strength:Q", format=".2f"),
                "genre:N",
                alt.Tooltip("similarity:Q", format=".3f"),
            ],
        )
        .add_params(pick)
        .interactive(bind_y=False)
    )


def similarity_chart(frame: pd.DataFrame, label: str, title: str) -> alt.Chart:
    """Neighbours (films or users) by cosine similarity, closest on top."""
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("similarity:Q", title="cosine"),
            tooltip=[c for c in frame.columns],
        )
    )


def replay_chart(
    frame: pd.DataFrame, setting: str, metric: str = "ndcg_at_10", baselines: pd.DataFrame | None = None
) -> alt.Chart | alt.LayerChart:
    """A replay metric against the swept setting, one line per model; baselines as dashed rules."""
    title = METRIC_TITLES.get(metric, metric)
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{setting}:Q", title=setting.replace("_", " ")),
            y=alt.Y(f"{metric}:Q", title=title),
            color=alt.Color("model:N"),
            tooltip=[
                "model:N",
                f"{setting}:Q",
                alt.Tooltip(f"{metric}:Q", format=".4f"),
                "evaluated:Q",
                alt.Tooltip("seconds:Q", format=".1f"),
            ],
        )
    )
    if baselines is None or baselines.empty:
        return lines.properties(title=f"{title} against {setting}").interactive()
    rules = (
        alt.Chart(baselines)
        .mark_rule(strokeDash=[6, 4])
        .encode(
            y=f"{metric}:Q", color=alt.Color("model:N"), tooltip=["model:N", alt.Tooltip(f"{metric}:Q", format=".4f")]
        )
    )
    # LayerChart itself, not alt.layer: that may return a FacetChart (for layers sharing facet
    # encodings, which these have none of); the spec is the same.
    return (
        alt.LayerChart(layer=[lines, rules])
        .properties(title=f"{title} against {setting} (dashed: baselines)")
        .interactive()
    )
