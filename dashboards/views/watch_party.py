"""Watch party: films for several members at once, with each member's predicted stars
(``Service.group_recommend``; the strategies and the scale: personalization/core/group.py)."""

import pandas as pd
import streamlit as st

from dashboards import data, frames, ui
from personalization.core.group import HATE_STARS, STRATEGIES
from personalization.core.moods import MOODS
from personalization.errors import CineSyncError

key = ui.connect()
st.title("Watch party")
st.caption(
    "Films none of the members has rated or reacted to, ranked for the group. Each member's liking is "
    f"predicted in stars (0.5-5) from their own ratings; below {HATE_STARS:g} they would hate it."
)


@st.cache_data(ttl=data.READ_TTL, show_spinner=False)
def group_picks(key: str, members: tuple[int, ...], k: int, strategy: str, mood: str | None):
    return data.service().group_recommend(list(members), k, strategy=strategy, mood=mood)


def picks_frame(picks, names: dict[int, str]) -> pd.DataFrame:
    """One row per film: the group's score, then each member's predicted stars."""
    rows = []
    for rank, p in enumerate(picks.items, start=1):
        row = {"rank": rank, "film": p.film.label, "genres": ", ".join(p.film.genres), "group": round(p.score, 2)}
        row.update({names[u]: round(p.likings[u], 1) for u in picks.user_ids})
        rows.append(row)
    return pd.DataFrame(rows)


everyone = data.users(key, "", 500)
if len(everyone) < 2:
    ui.empty_state("A watch party needs at least two users.")
    st.stop()
labels = {int(u["id"]): frames.user_label(u) for u in everyone}
chosen = st.multiselect(
    "Members", list(labels), default=list(labels)[:2], format_func=labels.__getitem__, key="party_members"
)
left, middle, right = st.columns(3)
strategy = left.radio(
    "Strategy",
    STRATEGIES,
    index=STRATEGIES.index("least_misery"),
    horizontal=True,
    key="party_strategy",
    help="average: the mean stars; least_misery: the least happy member's stars, nothing anyone would hate; "
    "approval: how many are predicted to like it (3.5 stars or more).",
)
mood = middle.selectbox("Mood", [None, *MOODS], format_func=lambda m: m or "any", key="party_mood")
k = right.slider("Films", 1, 30, 10, key="party_k")

if len(chosen) < 2:
    st.info("Choose at least two members.", icon=":material/group_add:")
    st.stop()
try:
    picks = group_picks(key, tuple(chosen), k, strategy, mood)
except CineSyncError as exc:
    st.warning(str(exc))
    st.stop()
names = {u: frames.user_name(u, next((x.get("name") for x in everyone if x["id"] == u), None)) for u in chosen}
if len(set(names.values())) < len(names):  # two members of the same name: their columns say which
    names = {u: f"{n} ({u})" for u, n in names.items()}
if picks.no_taste:
    st.info("No taste learned yet for " + ", ".join(names[u] for u in picks.no_taste) + ": their mean for every film.")
if not picks.items:
    st.info("No film suits everyone: try another strategy or mood.")
else:
    st.dataframe(picks_frame(picks, names), hide_index=True, key="party_table")
