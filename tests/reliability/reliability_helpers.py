"""Shared by the reliability tests: writer processes, their acknowledgements, the database's
consistency, and throwaway PostgreSQL servers that a test may stop and kill."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg

from personalization.config import Settings
from personalization.core.catalogue import Film
from personalization.service import Service

HERE = Path(__file__).parent
WORKER = HERE / "reliability_worker.py"
GENRES = ["Drama", "Comedy", "Horror", "Sci-Fi", "Romance", "Action"]


def films(n: int) -> list[Film]:
    return [
        Film(i, f"Film {i}", 1950 + i % 70, (GENRES[i % 6], GENRES[(i * 7) % 6]), (f"Director {i % 9}",),
             (f"Actor {i % 31}", f"Actor {(i * 3) % 31}"))
        for i in range(1, n + 1)
    ]  # fmt: skip


def load_films(url: str, n: int) -> None:
    with Service.open(Settings(home=Path("/nonexistent")), url=url, listen=False) as svc:
        svc.import_films(films(n))


def start_worker(
    url: str, seed: int, events: int, threads: int, users: list[int], forget: list[int], n_films: int,
    pause: float = 0.0,
) -> subprocess.Popen[str]:  # fmt: skip
    args = [str(seed), str(events), str(threads), ",".join(map(str, users)), ",".join(map(str, forget)) or "-"]
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, *args, str(n_films), str(pause)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Acks:
    """What writer processes acknowledged (their stdout lines)."""

    lines: list[dict] = field(default_factory=list)

    def add(self, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                try:
                    self.lines.append(json.loads(line))
                except json.JSONDecodeError:  # the last line of a killed process may be cut
                    pass

    def of(self, op: str) -> list[dict]:
        return [a for a in self.lines if a["op"] == op]

    @property
    def errors(self) -> list[dict]:
        return self.of("error")


def stored_state(url: str) -> dict:
    with psycopg.connect(url) as conn:
        ratings = {(u, f): float(s) for u, f, s in conn.execute("SELECT user_id, movie_id, stars FROM ratings")}
        feedback = conn.execute("SELECT user_id, movie_id, kind, context->>'event' FROM feedback").fetchall()
        counters = {u: (r, f) for u, r, f in conn.execute("SELECT user_id, n_ratings, n_feedback FROM user_embeddings")}
    return {"ratings": ratings, "feedback": feedback, "counters": counters}


def check_consistency(url: str, acks: Acks, *, exact_users: set[int] | None = None) -> dict:
    """Assert what every reliability test promises after writers ran (or were killed):

    - every acknowledged feedback of a user in ``exact_users`` is stored exactly once, and every
      stored feedback was sent by a writer (none twice, none invented);
    - every acknowledged rating of such a user is stored, with stars a writer sent for that film;
    - each user's counters equal their stored rows;
    - each user's stored vector equals a rebuild from their stored events in commit order.

    Users outside ``exact_users`` (forgotten at some point) are checked for the last two and
    for no feedback stored twice. Returns the stored state."""
    state = stored_state(url)
    stored_events = Counter(e for *_, e in state["feedback"] if e is not None)
    dupes = [e for e, n in stored_events.items() if n > 1]
    assert not dupes, f"feedback stored twice: {dupes[:5]}"
    # A killed writer may have committed an event it never got to acknowledge: that is allowed
    # (the client saw no answer), but an event no writer ever sent is not.
    if exact_users is not None:
        for a in acks.of("feedback"):
            if a["user"] in exact_users:
                assert stored_events[a["event"]] == 1, f"acknowledged feedback missing: {a}"
        sent_stars: dict[tuple[int, int], set[float]] = defaultdict(set)
        for a in acks.of("send") + acks.of("rate"):  # a rating sent as a killed writer died may be
            sent_stars[(a["user"], a["film"])].add(a["stars"])  # stored without its acknowledgement
        for u, f in {(a["user"], a["film"]) for a in acks.of("rate")}:
            stars = sent_stars[(u, f)]
            if u in exact_users:
                assert (u, f) in state["ratings"], f"acknowledged rating missing: user {u} film {f}"
                assert state["ratings"][(u, f)] in stars, (u, f, state["ratings"][(u, f)], stars)
    n_ratings = Counter(u for u, _ in state["ratings"])
    n_feedback = Counter(u for u, *_ in state["feedback"])
    for u, (r, f) in state["counters"].items():
        rows = (n_ratings[u], n_feedback[u])
        assert (r, f) == rows, f"user {u}: counters {(r, f)}, stored rows {rows}"
    assert set(n_ratings) | set(n_feedback) <= set(state["counters"]), "rows of a user without an embedding row"
    check_vectors(url)
    return state


def check_vectors(url: str) -> None:
    """Each stored vector equals the rebuild from that user's stored events (float32 tolerance)."""
    with Service.open(Settings(home=Path("/nonexistent")), url=url, listen=False, run_migrations=False) as svc:
        engine = svc.engine
        with svc.repo.session() as session, session.conn.transaction():
            users = [u for (u,) in session.conn.execute("SELECT user_id FROM user_embeddings ORDER BY user_id")]
            for u in users:
                row = session.read_embedding(u)
                assert row is not None
                rebuilt = engine.rebuilt_vector(session, u)
                assert row.embedding.shape == rebuilt.shape, u
                assert np.allclose(row.embedding, rebuilt, atol=2e-5), (
                    f"user {u}: stored vector differs from its rebuild by "
                    f"{float(np.max(np.abs(row.embedding - rebuilt))):.2e}"
                )


class ThrowawayServer:
    """A PostgreSQL of the test's own (pgserver in a temporary folder), which the test may stop,
    restart or kill without touching the shared test server."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="cinesync-reliability-"))
        self.datadir = self.home / "pgdata"
        self.url = ""

    def start(self) -> str:
        from personalization.storage.db import start_embedded

        server = start_embedded(self.datadir, None)
        self.url = server.get_uri()
        return self.url

    def stop(self) -> None:
        from personalization.storage.db import stop_embedded

        stop_embedded(self.home)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
