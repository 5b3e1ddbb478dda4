"""Bulk ratings (imports): the same learning rule as ``Writes.rate``, one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from personalization.core import signals
from personalization.core.catalogue import Catalogue
from personalization.errors import UnknownFilm
from personalization.service.engine import Engine
from personalization.service.results import IngestResult, check_film_id, check_timestamp, check_user_id
from personalization.service.writes import as_datetime
from personalization.storage.repository import EmbeddingUpdate, Repository, embedding_update
from personalization.storage.rows import EmbeddingRow, Vector

__all__ = ["Event", "rate_many"]

Event = tuple[int, int, float, datetime]  # user, film, stars, time


def _checked(event: Sequence[Any]) -> tuple[int, int, float, float | datetime]:
    user, film, stars, at = event
    return (
        check_user_id(user),
        check_film_id(film),
        signals.check_stars(stars),
        at if isinstance(at, datetime) else check_timestamp(at),
    )


def rate_many(
    engine: Engine,
    repo: Repository,
    events: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
    progress: Callable[[int], Any] | None = None,
) -> IngestResult:
    """Apply many ratings (oldest first), one transaction per batch. Every event is checked
    before the first write. A rating identical to the stored one is skipped (re-importing a file
    changes nothing), and so is a rating older than the stored one (an import never reverts a
    newer rating)."""
    cat = engine.catalogue()
    checked = [_checked(e) for e in events]
    unknown = {e[1] for e in checked} - set(cat.ids.tolist())
    if unknown:
        raise UnknownFilm(min(unknown))
    total = IngestResult(0, 0, 0)
    for start in range(0, len(checked), batch_size):
        chunk = checked[start : start + batch_size]
        total += _rate_batch(engine, repo, cat, chunk)
        if progress:
            progress(len(chunk))
    if total.applied:
        engine.invalidate()
    return total


def _rate_batch(
    engine: Engine, repo: Repository, cat: Catalogue, chunk: Sequence[tuple[int, int, float, float | datetime]]
) -> IngestResult:
    events: list[Event] = []
    for u, f, s, t in chunk:
        when = as_datetime(t)
        assert when is not None
        events.append((u, f, s, when))
    users = [e[0] for e in events]
    films = [e[1] for e in events]
    with repo.transaction() as session:
        states = session.lock_users(users, engine.rule.zero(), engine.model_settings.version)
        existing = session.existing_ratings(users, films)
        rebuild = session.users_with_feedback_on(users, films)
        seen: set[tuple[int, int]] = set()
        rows: list[Event] = []
        vectors: dict[int, Vector] = {}
        unchanged = older = 0
        for u, f, s, t in events:
            old = existing.get((u, f))
            if old is not None and old[0] == s and old[1] == t:
                unchanged += 1  # identical to what is stored: re-import is a no-op
                continue
            if old is not None and old[1] > t:
                older += 1  # the stored rating is newer (rated since): keep it
                continue
            state = states[u]
            if old is not None or (u, f) in seen or engine.needs_rebuild(state, t) or u in rebuild:
                rebuild.add(u)
            if old is None and (u, f) not in seen:
                state.n_ratings += 1
            seen.add((u, f))
            rows.append((u, f, s, t))
            if u not in rebuild:
                pos = cat.position(f)
                assert pos is not None  # checked by rate_many
                state.embedding = engine.rule.step(state.embedding, cat.matrix[pos], signals.stars_strength(s))
                state.last_event_at = t
                vectors[u] = state.embedding
        if not rows:
            return IngestResult(0, unchanged, older)
        session.upsert_ratings(rows)
        last_at: dict[int, datetime] = {}
        for u, _, _, t in rows:
            last_at[u] = max(t, last_at.get(u, t))
        for u in rebuild & set(last_at):
            vectors[u] = engine.rebuilt_vector(session, u)
        updates: list[EmbeddingUpdate] = []
        for u, at in last_at.items():
            stored = EmbeddingRow(
                vectors[u],
                engine.rule.dim,
                states[u].n_ratings,
                states[u].n_feedback,
                engine.model_settings.version,
                at,
            )
            updates.append(embedding_update(u, stored, at))
        session.store_embeddings(updates)
        session.notify(engine.note("bulk"))
    return IngestResult(len(rows), unchanged, older)
