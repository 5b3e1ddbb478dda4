"""Overview: how much the engine knows, how it is used, and whether the database is healthy."""

import streamlit as st

from dashboards import charts, data, frames, ui

key = ui.connect()
st.title("Overview")

health = data.health(key)
cols = st.columns(5)
cols[0].metric("Users", f"{health['users']:,}")
cols[1].metric("Films", f"{health['films']:,}")
cols[2].metric("Ratings", f"{health['ratings']:,}")
cols[3].metric("Feedback", f"{health['feedback']:,}")
cols[4].metric(
    f"Personalised ({health['min_ratings']}+ ratings)",
    f"{health['personalised_users']:,}",
    help="Users with enough ratings for personal picks; the others get the base model's order.",
)

overview = data.overview(key)
activity = frames.activity(overview)
stars = frames.star_distribution(overview)
genres = frames.genre_love(overview)

if activity.empty:
    ui.empty_state("No ratings or feedback yet: nothing to chart.")
else:
    ui.chart(charts.activity_chart(activity), key="activity")
    left, right = st.columns(2)
    with left:
        ui.chart(charts.stars_chart(stars), key="stars")
    with right:
        if genres.empty:
            st.info("The rated films carry no genres.")
        else:
            ui.chart(charts.genres_chart(genres), key="genres")
    with st.expander("Genres as a table"):
        st.dataframe(genres, hide_index=True, key="genre_table")

st.subheader("Database and cache health")
left, right = st.columns(2)
with left:
    st.markdown(
        f"**Database** `{health['database']}`  \n"
        f"**Round trip** {health['round_trip_ms']:.1f} ms  \n"
        f"**Model version** `{health['current_model_version']}`"
    )
    stored = [v for v in health["model_versions"] if v != health["current_model_version"]]
    if stored:
        st.warning(
            f"Vectors from other model versions are stored ({', '.join(stored)}); they are rebuilt "
            "when their user is next seen."
        )
with right:
    pool = health["pool"]
    st.dataframe(
        [
            {"cache or pool": name, "value": value}
            for name, value in [*health["cache"].items(), *((f"pool {k}", v) for k, v in pool.items())]
        ],
        hide_index=True,
        key="health_table",
    )
