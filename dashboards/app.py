"""The preference dashboard: `streamlit run dashboards/app.py` (what `cinesync dashboard` runs).

A multipage app: each page in ``views/`` is a thin script (widgets, cached calls through
``data``, tables from ``frames``, charts from ``charts``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import data, ui
from personalization.logging_setup import configure_logging

VIEWS = Path(__file__).parent / "views"

configure_logging()  # this Streamlit process's own entry point (CINESYNC_LOG_FORMAT=json for JSON lines)

st.set_page_config(page_title="CineSync preferences", page_icon=":material/movie:", layout="wide")

ui.require_sign_in()  # a password when one is set; never served publicly without one

page = st.navigation(
    [
        st.Page(VIEWS / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page(VIEWS / "users.py", title="User explorer", icon=":material/person_search:"),
        st.Page(VIEWS / "tuning.py", title="Tuning", icon=":material/tune:"),
        st.Page(VIEWS / "films.py", title="Films", icon=":material/movie:"),
        st.Page(VIEWS / "watch_party.py", title="Watch party", icon=":material/groups:"),
        st.Page(VIEWS / "experiments.py", title="A/B tests", icon=":material/science:"),
    ]
)

with st.sidebar:
    st.caption("CineSync Personalization")
    if st.button(
        "Refresh data",
        icon=":material/refresh:",
        help=f"Forget cached reads (they also expire after {data.READ_TTL} s).",
    ):
        st.cache_data.clear()

try:
    page.run()
except ui.DATABASE_ERRORS as exc:  # the database went away under the page: say so, reconnect later
    ui.database_lost(exc)
