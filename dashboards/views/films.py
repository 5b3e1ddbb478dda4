"""Films: find a film, see who loves it, its content neighbours and the users whose taste points at it."""

import streamlit as st

from dashboards import charts, data, frames, ui
from personalization.data.links import film_urls

key = ui.connect()
st.title("Films")

if not data.genres(key) and not data.search_films(key, "", 1):
    ui.empty_state("No films in the catalogue yet.")
    st.stop()

query = st.text_input("Find a film by title", key="film_query", placeholder="part of a title")
found = data.search_films(key, query.strip(), 50)
if not found:
    st.info(f"No film title contains {query.strip()!r}.", icon=":material/search_off:")
    st.stop()
# One picker per search: a new search starts at its first match, and the browser shows the same.
film = st.selectbox("Film", found, format_func=lambda f: f.label, key=f"film:{query.strip()}")

st.subheader(film.label)
st.markdown(
    f"**Genres** {', '.join(film.genres) or '-'}  \n**Directors** {', '.join(film.directors) or '-'}  \n"
    f"**Cast** {', '.join(film.actors[:8]) or '-'}"
)
if links := film_urls(film.metadata):  # the film's pages elsewhere, from its stored IMDb / TMDb ids
    st.markdown("**Links** " + " · ".join(f"[{name}]({url})" for name, url in links.items()))

k = st.slider("Neighbours to show", 5, 30, 10, key="film_k")
fans_col, similar_col = st.columns(2)
with fans_col:
    st.markdown("**Who likes it** (rated 4 stars or more)")
    fans = frames.fans(data.film_fans(key, film.id, 50))
    if fans.empty:
        st.info("Nobody has rated this film 4 stars or more yet.")
    else:
        st.dataframe(fans, hide_index=True, key="fans_table")
with similar_col:
    similar = frames.similar(data.similar_films(key, film.id, k))
    if similar.empty:
        st.info("No other films to compare with.")
    else:
        ui.chart(charts.similarity_chart(similar, "film", "Content neighbours"), key="similar")
        st.dataframe(similar, hide_index=True, key="similar_table")

st.markdown("**Users whose taste vector points closest to this film**")
names = {u["id"]: u["name"] for u in data.users(key, "", 1000)}
nearest = frames.nearest(data.nearest_users(key, film.id, k), names)
if nearest.empty:
    st.info("No user has a taste vector yet.")
else:
    ui.chart(charts.similarity_chart(nearest, "user", "Nearest users"), key="nearest")
    st.dataframe(nearest, hide_index=True, key="nearest_table")
