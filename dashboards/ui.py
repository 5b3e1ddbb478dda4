"""Small Streamlit helpers the pages share: connecting with a clear error, empty states."""

from __future__ import annotations

import time

import psycopg
import streamlit as st

from personalization.errors import CineSyncError, StorageError

from . import auth, data

__all__ = ["connect", "database_lost", "empty_state", "chart", "require_sign_in", "is_admin", "DATABASE_ERRORS"]

DEMO_HINT = "Load the demo data with `cinesync demo`, or import a catalogue with `cinesync import movielens DIR`."
# What a refused or lost connection raises: opening fails with StorageError, a request on an open
# pool with psycopg's OperationalError (psycopg_pool's PoolTimeout is one).
DATABASE_ERRORS = (StorageError, psycopg.OperationalError)
RETRY_SECONDS = 5


def connect() -> str:
    """The database key for this run; stops the page with a readable error if PostgreSQL is down."""
    key = data.database_key()
    problem = st.session_state.pop("database_lost", None)  # set by ``database_lost`` before a rerun
    if problem is None:
        try:
            data.service()
        except (CineSyncError, psycopg.OperationalError) as exc:
            problem = str(exc)
    if problem is not None:
        st.session_state["database_tried_at"] = time.monotonic()
        st.error(f"Cannot open the database: {problem}")
        _reconnect_when_back()
        st.stop()
    return key


def database_lost(exc: Exception) -> None:
    """A page failed on its connection: drop the cached service (its pool may be stuck in a long
    reconnection back-off) and draw the page again as the "cannot open the database" message."""
    data.forget_service(data.database_key())
    st.session_state["database_lost"] = (
        f"the connection to PostgreSQL was lost ({exc}). If it was stopped, start it again; "
        "check CINESYNC_DATABASE_URL if the dashboard should use another server."
    )
    st.rerun()


@st.fragment(run_every=RETRY_SECONDS)
def _reconnect_when_back() -> None:
    """Try the database every few seconds while the message shows; draw the page once it answers."""
    if time.monotonic() - st.session_state.get("database_tried_at", 0.0) >= RETRY_SECONDS / 2:
        st.session_state["database_tried_at"] = time.monotonic()
        try:
            data.service()
        except (CineSyncError, psycopg.OperationalError):
            pass
        else:
            st.rerun()
    st.caption(f"Trying again every {RETRY_SECONDS} s: the page comes back by itself once the database answers.")


def empty_state(message: str, hint: str = DEMO_HINT) -> None:
    st.info(f"{message} {hint}".strip(), icon=":material/inbox:")


def chart(altair_chart, key: str | None = None) -> None:
    st.altair_chart(altair_chart, width="stretch", key=key)


def require_sign_in() -> None:
    """Stop the page unless it may be shown: never on a public address without a password (the
    command refuses that too; this covers a hand-started Streamlit), and, when a password is set,
    not before this browser session has signed in."""
    problem = auth.refusal(st.get_option("server.address"))
    if problem:
        st.error(f"Not served: {problem}.")
        st.stop()
    if not any(auth.passwords()) or st.session_state.get("role"):
        return
    st.title("CineSync preferences")
    with st.form("sign_in"):
        given = st.text_input("Password", type="password", key="password")
        if st.form_submit_button("Sign in", key="sign_in_button"):
            role = auth.role_for(given)
            if role is not None:
                st.session_state["role"] = role
                st.session_state.pop("password", None)
                st.rerun()
            st.error("Wrong password.")
    st.stop()


def is_admin() -> bool:
    """Whether this session may write: signed in as an admin, or on a dashboard with no password
    (localhost: the operator's own machine)."""
    return st.session_state.get("role") == "admin" or not any(auth.passwords())
