"""Bulk ratings (imports): the same learning rule as ``Writes.rate``, set-wise.

Ratings are applied in chunks of whole users, one transaction per chunk: lock the chunk's users,
compare every row with the stored rating (an identical row is skipped, an older one is skipped
and counted), write the rest with COPY and one upsert, and fold each user's new ratings into
their vector with ``fold`` (the k-th rating of every user in one numpy step). A user whose
vector cannot simply be stepped (a film rated again, a rating older than their last event,
feedback on one of the films, a vector made under other settings) is rebuilt from their stored
signals, as the one-at-a-time path does. A file is streamed through a staging table first
(``import_file``): every row is checked before the first write, and memory stays flat.

A file import keeps both sides busy: the staging COPY of one block runs while the next block is
parsed, and chunks are applied by ``WRITERS`` threads on connections of their own, so one
chunk's fold (numpy, which releases the GIL) runs while PostgreSQL writes another. Chunks hold
disjoint users, so their transactions never wait for each other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from personalization.core import signals
from personalization.core.catalogue import Catalogue
from personalization.errors import CineSyncError, UnknownFilm
from personalization.service.engine import Engine
from personalization.service.fold import fold, stars_strengths
from personalization.service.results import IngestResult, check_film_id, check_timestamp, check_user_id
from personalization.service.writes import as_datetime
from personalization.storage.bulk import (
    RatingArrays,
    effective_signals_of_users,
    feedback_of_users,
    insert_ratings,
    ratings_of_users,
    staging,
)
from personalization.storage.repository import Repository, Session, embedding_update
from personalization.storage.rows import EmbeddingRow

__all__ = ["Event", "rate_many", "import_file", "Progress"]

Event = tuple[int, int, float, datetime]  # user, film, stars, time
Progress = Callable[[str, int, int], Any]  # phase ("read": bytes, "learn": ratings), done, total
CHUNK = 100_000  # ratings per transaction when importing a file
WRITERS = 2  # chunks of a file import applied at once, each on a pooled connection of its own


def _checked(event: Sequence[Any]) -> tuple[int, int, float, float]:
    user, film, stars, at = event
    when = as_datetime(at) if isinstance(at, datetime) else None
    return (
        check_user_id(user),
        check_film_id(film),
        signals.check_stars(stars),
        when.timestamp() if when is not None else check_timestamp(at),
    )


def rate_many(
    engine: Engine,
    repo: Repository,
    events: Iterable[Sequence[Any]],
    *,
    batch_size: int = 5000,
    progress: Callable[[int], Any] | None = None,
) -> IngestResult:
    """Apply many ratings, one transaction per batch of whole users. Every event is checked
    before the first write. Each user's ratings are applied oldest first (ties in the given
    order). A rating identical to the stored one is skipped (re-importing a file changes
    nothing), and so is a rating older than the stored one (an import never reverts a newer
    rating)."""
    cat = engine.catalogue()
    checked = [_checked(e) for e in events]
    if not checked:
        return IngestResult(0, 0, 0)
    u, f, s, t = zip(*checked)
    ratings = RatingArrays(np.array(u, np.int64), np.array(f, np.int64), np.array(s), np.array(t))
    unknown = np.setdiff1d(ratings.films, cat.ids)
    if len(unknown):
        raise UnknownFilm(int(unknown.min()))
    ordered = ratings.take(np.lexsort((np.arange(len(ratings)), ratings.at, ratings.users)))
    total = IngestResult(0, 0, 0)
    for chunk in _user_chunks(ordered, batch_size):
        total += _apply(engine, repo, cat, chunk)
        if progress:
            progress(len(chunk))
    if total.applied:
        engine.invalidate()
    return total


def import_file(
    engine: Engine,
    repo: Repository,
    path: Path,
    *,
    known_films: Iterable[int] | None = None,
    before_write: Callable[[], Any] | None = None,
    progress: Progress | None = None,
) -> tuple[int, IngestResult]:
    """Import a ratings file (ratings.csv or u.data) of any size: stream it into a staging
    table, checking every row and that every film is known (the catalogue, or ``known_films``),
    then call ``before_write`` (films to store first) and apply the ratings in chunks of whole
    users. Returns the number of ratings read and what was done with them."""
    from personalization.data.importers import iter_rating_chunks, ratings_file_layout

    path = Path(path)
    known = np.unique(np.fromiter(known_films, np.int64)) if known_films is not None else engine.catalogue().ids
    size, unknown = path.stat().st_size, set()
    with staging(repo) as stage, ThreadPoolExecutor(1, thread_name_prefix="cinesync-staging") as copier:
        staged: Future[None] | None = None  # the block being copied while the next is parsed
        for part in iter_rating_chunks(path, ratings_file_layout(path)):
            unknown.update(np.setdiff1d(part.films, known).tolist())
            if staged is not None:
                staged.result()
                staged = None
            if not unknown:  # once one is missing, only the check goes on (for the message)
                staged = copier.submit(stage.add, RatingArrays(part.users, part.films, part.stars, part.timestamps))
            if progress:
                progress("read", part.nbytes, size)
        if staged is not None:
            staged.result()
        if unknown:
            some = sorted(unknown)
            raise CineSyncError(f"{path}: {len(some)} unknown film id(s), e.g. {some[:5]}; import the catalogue first")
        if before_write:
            before_write()
        cat = engine.catalogue()
        chunks = (chunk for block in stage.by_user() for chunk in _user_chunks(block, CHUNK))
        writers = max(1, min(WRITERS, repo.pool.max_size - 1))  # the staging connection stays taken
        done = (lambda n: progress("learn", n, stage.rows)) if progress else None
        total = _apply_all(engine, repo, cat, chunks, writers, done)
        n = stage.rows
    if total.applied:
        engine.invalidate()
    return n, total


def _apply_all(
    engine: Engine,
    repo: Repository,
    cat: Catalogue,
    chunks: Iterable[RatingArrays],
    writers: int,
    done: Callable[[int], Any] | None,
) -> IngestResult:
    """``_apply`` every chunk, up to ``writers`` at once (each its own transaction on its own
    connection; ``done`` is told in this thread as each finishes, in order). On an error the
    chunks already running finish (each commits or rolls back whole; ``done`` is told of those
    that committed, so what it counts is what is stored), then it is raised."""
    total = IngestResult(0, 0, 0)
    with ThreadPoolExecutor(writers, thread_name_prefix="cinesync-import") as pool:
        running: deque[tuple[Future[IngestResult], int]] = deque()
        try:
            for chunk in chunks:
                if len(running) >= writers:
                    future, size = running.popleft()
                    total += future.result()
                    if done:
                        done(size)
                running.append((pool.submit(_apply, engine, repo, cat, chunk), len(chunk)))
            while running:
                future, size = running.popleft()
                total += future.result()
                if done:
                    done(size)
        except BaseException:
            for future, size in running:
                if future.cancel():  # not started yet: never will
                    continue
                if future.exception() is None and done:  # it finished whole and committed
                    done(size)
            raise
    return total


def _user_chunks(ratings: RatingArrays, size: int) -> Iterator[RatingArrays]:
    """Consecutive slices of about ``size`` ratings (sorted by user) that never split a user."""
    users, n, start = ratings.users, len(ratings), 0
    while start < n:
        end = min(n, start + max(1, size))
        if end < n:
            end = int(np.searchsorted(users, users[end - 1], side="right"))
        yield ratings.take(slice(start, end))
        start = end


def _apply(engine: Engine, repo: Repository, cat: Catalogue, chunk: RatingArrays) -> IngestResult:
    """One transaction: ``chunk`` holds whole users, each user's ratings oldest first."""
    ids, owner = np.unique(chunk.users, return_inverse=True)
    with repo.transaction() as session:
        states = session.lock_users(ids.tolist(), engine.rule.zero(), engine.model_settings.version)
        stored = ratings_of_users(session, ids)
        events = pl.DataFrame({"u": chunk.users, "f": chunk.films})
        old = events.join(
            pl.DataFrame({"u": stored.users, "f": stored.films, "s": stored.stars, "t": stored.at}),
            on=["u", "f"],
            how="left",
            maintain_order="left",
        )
        old_s, old_t = old["s"].to_numpy(), old["t"].to_numpy()
        has_old = ~np.isnan(old_t)
        unchanged = has_old & (old_s == chunk.stars) & (old_t == chunk.at)
        older = has_old & ~unchanged & (old_t > chunk.at)
        keep = ~(unchanged | older)
        counts = int(unchanged.sum()), int(older.sum())
        if not keep.any():
            return IngestResult(0, *counts)
        rows, who = chunk.take(keep), owner[keep]
        pairs = events.filter(pl.Series(keep))
        repeated = pairs.is_duplicated().to_numpy()
        new_pair = ~has_old[keep] & pairs.select(pl.struct("u", "f").is_first_distinct()).to_series().to_numpy()
        rebuild = _to_rebuild(engine, session, states, ids, chunk, rows, who, has_old[keep] | repeated)
        last = pairs.select(pl.struct("u", "f").is_last_distinct()).to_series().to_numpy()
        new, replaced = np.flatnonzero(last & ~has_old[keep]), np.flatnonzero(last & has_old[keep])
        insert_ratings(session, rows.take(new), rows.take(replaced))
        vectors = _vectors(engine, session, cat, states, ids, rows, who, rebuild)
        n_new = np.bincount(who[new_pair], minlength=len(ids))
        last_at = np.full(len(ids), -np.inf)
        np.maximum.at(last_at, who, rows.at)
        updates = []
        for i in np.unique(who).tolist():
            state, at = states[int(ids[i])], as_datetime(float(last_at[i]))
            assert at is not None
            row = EmbeddingRow(
                vectors[i],
                engine.rule.dim,
                state.n_ratings + int(n_new[i]),
                state.n_feedback,
                engine.model_settings.version,
                at,
            )
            updates.append(embedding_update(int(ids[i]), row, at))
        session.store_embeddings(updates)
        session.notify(engine.note("bulk"))
    return IngestResult(len(rows), *counts)


def _to_rebuild(
    engine: Engine,
    session: Session,
    states: dict[int, EmbeddingRow],
    ids: np.ndarray,
    chunk: RatingArrays,
    rows: RatingArrays,
    who: np.ndarray,
    replaces: np.ndarray,
) -> np.ndarray:
    """Which users (rows of ``ids``) are rebuilt from their signals rather than stepped: a
    rating replaces a stored one or another in the chunk, their vector needs it (other settings,
    unusable, or their first new rating is older than their last event), or they gave feedback
    on one of the chunk's films."""
    # With a half-life every step depends on the time since the user's previous event, which the
    # set-wise fold does not follow: every user is rebuilt from their timed signals instead.
    rebuild = np.full(len(ids), engine.rule.half_life_days > 0, bool)
    rebuild[who[replaces]] = True
    firsts, at = np.unique(who, return_index=True)
    for i, j in zip(firsts.tolist(), at.tolist()):
        when = as_datetime(float(rows.at[j]))
        assert when is not None
        if not rebuild[i] and engine.needs_rebuild(states[int(ids[i])], when):
            rebuild[i] = True
    reacted = feedback_of_users(session, ids)
    if reacted:
        on_chunk = {u for u, f in zip(chunk.users.tolist(), chunk.films.tolist()) if (u, f) in reacted}
        rebuild[np.isin(ids, np.fromiter(on_chunk, np.int64, count=len(on_chunk)))] = True
    return rebuild


def _vectors(
    engine: Engine,
    session: Session,
    cat: Catalogue,
    states: dict[int, EmbeddingRow],
    ids: np.ndarray,
    rows: RatingArrays,
    who: np.ndarray,
    rebuild: np.ndarray,
) -> np.ndarray:
    """Every chunk user's vector after the chunk (rows of ``ids``): stepped from the stored one
    with the new ratings, or (``rebuild``) folded from nothing over their effective signals,
    read after the chunk's ratings were written."""
    rule, zero = engine.rule, engine.rule.zero()
    start = np.stack([zero if rebuild[i] else states[int(u)].embedding for i, u in enumerate(ids.tolist())])
    step = ~rebuild[who]
    vectors = fold(
        rule, start, who[step], cat.matrix, cat.positions(rows.films[step]), stars_strengths(rows.stars[step])
    )
    again = ids[rebuild].tolist()
    if again and rule.half_life_days > 0:  # each step needs its time: one user at a time
        row_of = {u: i for i, u in enumerate(ids.tolist())}
        for user in again:
            vectors[row_of[user]] = engine.rebuilt_vector(session, user)
    elif again:
        owner, films, strength = [], [], []
        row_of = {u: i for i, u in enumerate(ids.tolist())}
        for user, film, stars, kind in effective_signals_of_users(session, again):
            if cat.position(film) is not None:
                owner.append(row_of[user])
                films.append(film)
                strength.append(
                    signals.stars_strength(stars) if stars is not None else signals.feedback_strength(kind or "")
                )
        rebuilt = fold(
            rule, np.zeros_like(start), np.array(owner, np.intp), cat.matrix, cat.positions(films), np.array(strength)
        )
        vectors[rebuild] = rebuilt[rebuild]
    return vectors
