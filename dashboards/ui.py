"""Small Streamlit helpers the pages share: connecting with a clear error, empty states."""

from __future__ import annotations

import streamlit as st

from personalization.errors import CineSyncError

from . import data

__all__ = ["connect", "empty_state", "chart"]

DEMO_HINT = "Load the demo data with `cinesync demo`, or import a catalogue with `cinesync import movielens DIR`."


def connect() -> str:
    """The database key for this run; stops the page with a readable error if PostgreSQL is down."""
    key = data.database_key()
    try:
        data.service()
    except CineSyncError as exc:
        st.error(f"Cannot open the database: {exc}")
        st.stop()
    return key


def empty_state(message: str, hint: str = DEMO_HINT) -> None:
    st.info(f"{message} {hint}".strip(), icon=":material/inbox:")


def chart(altair_chart, key: str | None = None) -> None:
    st.altair_chart(altair_chart, width="stretch", key=key)
