"""User explorer: one person's taste profile, picks, taste history, and a what-if: the picks as if
they rated a film (computed in memory; an admin may then save it as their rating)."""

import streamlit as st

from dashboards import charts, data, frames, ui
from dashboards.text import plural
from personalization.core.drift import summary as drift_summary
from personalization.errors import CineSyncError

key = ui.connect()
st.title("User explorer")

query = st.text_input("Find a user by id or name", key="user_query", placeholder="e.g. 42 or Alice")
found = data.users(key, query.strip(), 200)
if not found:
    if query.strip():
        st.info(f"No user matches {query.strip()!r}.", icon=":material/search_off:")
    else:
        ui.empty_state("No users yet.")
    st.stop()

user = st.selectbox("User", found, format_func=frames.user_label, key="user")
user_id = int(user["id"])
profile = data.profile(key, user_id)
if profile is None:
    st.info(f"Nothing is stored for user {user_id} yet.")
    st.stop()

# -- the profile ----------------------------------------------------------------------------
cols = st.columns(5)
cols[0].metric("Ratings", profile.n_ratings)
cols[1].metric(
    "Mean rating",
    "-" if profile.mean_rating is None else f"{profile.mean_rating:.2f}",
    delta=None if profile.mean_rating is None else f"{profile.mean_rating - profile.community_mean:+.2f} vs community",
    delta_color="off",
)
cols[2].metric(
    "Rating style",
    profile.style,
    delta=f"{profile.style_delta:+.2f} sd",
    delta_color="off",
    help="Mean rating against the community's, in community standard deviations.",
)
cols[3].metric(
    "Diversity",
    f"{profile.diversity:.2f}",
    help="Normalised entropy of the genres rated: 0 = one genre, 1 = every genre equally.",
)
weight_box = cols[4]  # filled below, with the weight the picks are really blended with
if profile.drift is not None and profile.drift.drifting:
    st.warning(f"Taste drift: {drift_summary(profile.drift)}", icon=":material/trending_up:")
else:
    st.caption(f"Taste drift: {drift_summary(profile.drift)}")

if profile.n_ratings == 0:
    st.info("This user has no ratings yet: no favourites to show.")
else:
    favourites, style = st.columns(2)
    with favourites:
        tabs = st.tabs([name.capitalize() for name in frames.FEATURE_FIELDS])
    for tab, field in zip(tabs, frames.FEATURE_FIELDS):
        with tab:
            table = frames.features(profile, field)
            if table.empty:
                st.info(f"No {field} above this user's own mean rating.")
                continue
            ui.chart(charts.features_chart(table, f"Favourite {field}"), key=f"features_{field}")
            with st.expander("As a table"):
                st.dataframe(table, hide_index=True, key=f"features_table_{field}")
    with style:
        community = frames.star_distribution(data.overview(key))
        ui.chart(charts.styles_chart(frames.rating_styles(profile, community)), key="styles")

# -- recommendations ----------------------------------------------------------------------
st.subheader("Recommendations")
left, right = st.columns([1, 2])
k = left.slider("How many", 5, 30, 10, key="k")
genre = right.selectbox(
    "Only this genre", [None, *data.genres(key)], key="genre", format_func=lambda g: "any genre" if g is None else g
)
recs = data.recommend(key, user_id, k, genre)
picks = frames.recommendations(recs)
weight_box.metric(
    "Personal weight",
    f"{recs.blend_weight:.2f}",
    help="score = weight x personal + (1 - weight) x base model; 0 until the member has "
    f"rated or reacted to {plural(recs.min_ratings, 'film')}.",
)
if recs.mode == "personal":
    st.caption(
        f"Personal picks: score = {recs.blend_weight:.2f} x personal + {1 - recs.blend_weight:.2f} x base model."
    )
else:
    st.caption(f"{recs.n_ratings} of {recs.min_ratings} ratings needed for personal picks: the base model's order.")
if picks.empty:
    st.info("No films left to recommend with these filters.")
else:
    ui.chart(charts.recommendations_chart(picks), key="recommendations")
    st.dataframe(
        picks,
        hide_index=True,
        key="recommendations_table",
        column_order=["rank", "film", "genres", "score", "personal", "base", "reason"],
        column_config={"score": st.column_config.ProgressColumn("score", min_value=0.0, max_value=1.0, format="%.3f")},
    )

# -- taste history --------------------------------------------------------------------------
st.subheader("How the taste moved")
steps = data.trajectory(key, user_id)
centroids = data.genre_centroids(key)
if not steps or not centroids:
    st.info("No signals yet: the taste vector has not moved.")
else:
    favourite_genres = [f.name for f in profile.genres[:5]] or list(centroids)[:5]
    # One picker per user: each user starts on their own favourites.
    chosen = st.multiselect(
        "Genres to follow", list(centroids), default=favourite_genres, key=f"trajectory_genres:{user_id}"
    )
    moves = frames.taste_trajectory(steps, centroids, chosen)
    if moves.empty:
        st.info("Pick at least one genre.")
    else:
        ui.chart(charts.trajectory_chart(moves), key="trajectory")


# -- what if -------------------------------------------------------------------------------
st.subheader(f"What if user {user_id} rated a film?")
st.caption(
    "The picks are computed in memory as if the member had given this rating: nothing is stored. "
    "An admin can then save it as the member's own rating."
)
film_query = st.text_input("Find a film", key="try_query", placeholder="part of a title")
candidates = data.search_films(key, film_query.strip(), 50) if film_query.strip() else []
with st.form("try_it"):
    # One picker per search: a new search starts at its first match, and the browser shows the same.
    chosen_film = st.selectbox(
        "Film",
        candidates,
        format_func=lambda f: f.label,
        key=f"try_film:{film_query.strip()}",
        placeholder="search for a film above" if not candidates else "pick a film",
    )
    stars = st.select_slider("Stars", [x / 2 for x in range(1, 11)], value=4.0, key="try_stars")
    submitted = st.form_submit_button("Show the picks", disabled=not candidates, key="try_what_if")
if submitted and chosen_film is not None:
    st.session_state["what_if"] = {"user": user_id, "film": chosen_film.id, "stars": stars}

pending = st.session_state.get("what_if")
if pending and pending["user"] == user_id:
    title = data.film(key, pending["film"])
    label = title.label if title else str(pending["film"])
    try:
        imagined = data.what_if(key, user_id, pending["film"], pending["stars"], k, genre)
    except CineSyncError as exc:
        st.error(f"Cannot compute it: {exc}")
    else:
        then = frames.recommendations(imagined)
        new = [f for f in then["film"].tolist() if f not in picks["film"].tolist()]
        gone = [f for f in picks["film"].tolist() if f not in then["film"].tolist()]
        st.info(
            f"If user {user_id} rated {label} {plural(pending['stars'], 'star')}: new in the list: "
            f"{', '.join(new) or 'none'}; dropped: {', '.join(gone) or 'none'}. Nothing was stored.",
            icon=":material/science:",
        )
        if not then.empty:
            st.dataframe(
                then,
                hide_index=True,
                key="what_if_table",
                column_order=["rank", "film", "genres", "score", "personal", "base", "reason"],
            )
        if ui.is_admin():
            confirmed = st.checkbox(
                f"Store {plural(pending['stars'], 'star')} for {label} as user {user_id}'s own rating",
                key="confirm_save_rating",
            )
            if st.button("Save as this member's rating", disabled=not confirmed, type="primary", key="save_rating"):
                try:
                    result = data.rate(key, user_id, pending["film"], pending["stars"])
                except CineSyncError as exc:
                    st.error(f"Not rated: {exc}")
                else:
                    st.session_state["try_it_result"] = {
                        "user": user_id,
                        "film": pending["film"],
                        "stars": pending["stars"],
                        "before": picks["film"].tolist(),
                        "replaced": result.replaced,
                    }
                    del st.session_state["what_if"]
                    st.session_state.pop("confirm_save_rating", None)
                    st.rerun()  # the charts above were drawn before the rating: draw them again
        else:
            st.caption("Only an admin (signed in with the admin password) can save it as the member's rating.")

last = st.session_state.get("try_it_result")
if last and last["user"] == user_id:
    now = picks["film"].tolist()
    new = [f for f in now if f not in last["before"]]
    gone = [f for f in last["before"] if f not in now]
    title = data.film(key, last["film"])
    st.success(
        f"{'Re-rated' if last['replaced'] else 'Rated'} {title.label if title else last['film']}: "
        f"{plural(last['stars'], 'star')}. New in the list: {', '.join(new) or 'none'}; "
        f"dropped: {', '.join(gone) or 'none'}."
    )
