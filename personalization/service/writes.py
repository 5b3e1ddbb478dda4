"""The write path: every event (a rating or a feedback) goes through ``Writes.apply``.

One transaction per event, under a row lock on the user's embedding row (so two processes
writing for one user lose nothing): read what the user had said about the film, learn the
blend weights from it (before it is written), store it, update the taste vector (one step, or a
rebuild when the event replaces an earlier signal, arrives out of order or the stored vector is
unusable) and the counters, and notify the other processes. A verb returns after the commit.

The taste vector is folded in the space the process serves when the event arrives (the published
film vectors, or the content vectors: ``Engine.space``), taken once per event: the film's vector,
a rebuild and the key stamped beside the stored vector all come from that one space.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from personalization.config import ModelSettings
from personalization.core import signals
from personalization.core.catalogue import Film
from personalization.core.ensemble import Scorer
from personalization.core.user_model import is_valid_vector
from personalization.errors import InvalidFeedback
from personalization.service.engine import MODEL_SETTINGS_KEY, Engine, VectorSpace, strength_of
from personalization.service.results import FeedbackResult, RateResult, check_film_id, check_timestamp, check_user_id
from personalization.service.settings import SettingsAdmin
from personalization.storage.repository import Repository, Session
from personalization.storage.retry import retry_transaction
from personalization.storage.rows import EmbeddingRow, PreviousSignal, Vector
from personalization.storage.settings_store import SettingsStore

__all__ = ["Signal", "Applied", "Writes", "as_datetime"]

log = logging.getLogger(__name__)
POSITIVE = 0.5  # 4 stars, like and stronger: the films the blend weights learn from


@dataclass(frozen=True)
class Signal:
    """One event on one film: a rating (``stars``) or a feedback ``kind``."""

    film_id: int
    stars: float | None = None
    kind: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # None: the database clock at the write

    @property
    def strength(self) -> float:
        return strength_of(self.stars, self.kind)


@dataclass(frozen=True)
class Applied:
    """What one committed event did."""

    row: EmbeddingRow  # the user's row as stored (vector and counters)
    previous: PreviousSignal  # what they had said about the film before
    n_signals: int  # films rated or reacted to, this one included

    @property
    def first_on_film(self) -> bool:
        return self.previous.stars is None and not self.previous.had_feedback


def as_datetime(value: datetime | float | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(check_timestamp(value), tz=UTC)


class Writes:
    """Ratings, feedback and the other writes, each one transaction."""

    def __init__(self, engine: Engine, repo: Repository):
        self.engine, self.repo = engine, repo
        self.settings = SettingsAdmin(engine, SettingsStore(repo.pool))  # versioned model settings

    def rate(self, user_id: Any, film_id: Any, stars: Any, *, at: datetime | float | None = None) -> RateResult:
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        stars = signals.check_stars(stars)
        done = self.apply(user_id, Signal(film_id, stars=stars, at=as_datetime(at)))
        replaced = done.previous.stars is not None
        self.engine.count_in_community(stars, done.previous.stars)
        scorer = self.engine.fitted_scorer
        if scorer is not None and not replaced:
            scorer.learn_one(user_id, film_id, stars)
        return RateResult(
            user_id,
            film_id,
            stars,
            replaced,
            done.row.n_ratings,
            done.n_signals >= self.engine.model_settings.min_ratings,
        )

    def feedback(
        self,
        user_id: Any,
        film_id: Any,
        kind: str,
        *,
        context: Mapping[str, Any] | None = None,
        at: datetime | float | None = None,
    ) -> FeedbackResult:
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        if not isinstance(kind, str):  # check_kind looks it up in a dict: a list would be a TypeError
            raise InvalidFeedback(f"feedback must be one of {', '.join(signals.FEEDBACK_KINDS)}; got {kind!r}")
        kind = signals.check_kind(kind)
        done = self.apply(user_id, Signal(film_id, kind=kind, context=context or {}, at=as_datetime(at)))
        return FeedbackResult(user_id, film_id, kind, done.row.n_feedback)

    def apply(self, user_id: int, signal: Signal) -> Applied:
        """Apply one event in one transaction; then update this process's caches."""
        engine = self.engine
        engine.film_vector(signal.film_id)  # an unknown film fails before any write
        # Loaded before the transaction (the published models and film vectors are read on a
        # second pooled connection, and threads holding one connection each while waiting for
        # another starve the pool); one space for the whole event.
        space = engine.space()
        item = space.vector(signal.film_id)
        if item is None:  # the catalogue was dropped and read again meanwhile: take that one
            item, space = engine.film_vector(signal.film_id), engine.space()
        learns = signal.strength >= POSITIVE and engine.model_settings.ensemble_rate > 0
        # A deadlock or serialization failure rolled the whole transaction back: run it again.
        row, previous, n_signals, relearned = retry_transaction(
            lambda: self._apply_once(user_id, signal, item, space, learns)
        )
        # Committed: now update what this process keeps in memory. The taste profile is read
        # from the ratings and the blend weights: a feedback that taught no weights leaves it.
        engine.cache_vector(user_id, row.embedding, row.n_ratings, space.key)
        if signal.stars is not None or relearned:
            engine.profiles.discard(user_id)
        return Applied(row, previous, n_signals)

    def _apply_once(
        self, user_id: int, signal: Signal, item: Vector, space: VectorSpace, learns: bool
    ) -> tuple[EmbeddingRow, PreviousSignal, int, bool]:
        """``apply``'s transaction, from the lock to the commit; also says whether it stored new
        blend weights."""
        engine = self.engine
        with self.repo.transaction() as session:
            locked = session.lock_event(user_id, signal.film_id, engine.rule.zero(), space.key)
            row, previous = locked.row, locked.previous
            first = previous.stars is None and not previous.had_feedback
            relearned = first and learns and self._learn_weights(session, space, user_id, signal.film_id, row)
            at = signal.at if signal.at is not None else locked.clock  # the clock under the user's locks
            if signal.stars is not None:
                when = session.upsert_rating(user_id, signal.film_id, signal.stars, at)
                if previous.stars is None:
                    row.n_ratings += 1
            else:
                assert signal.kind is not None
                when = session.insert_feedback(user_id, signal.film_id, signal.kind, signal.context, at)
                row.n_feedback += 1
            if not first or engine.needs_rebuild(row, when, space):
                row.embedding = engine.rebuilt_vector(session, user_id, space)
            else:
                since = (when - row.last_event_at).total_seconds() if row.last_event_at is not None else 0.0
                row.embedding = engine.rule.step(row.embedding, item, signal.strength, since)
            row.model_version, row.dim = space.key, engine.rule.dim
            session.store_embedding(user_id, row, when, engine.note(user_id=user_id))
        n_signals = locked.n_signals + (1 if first else 0)  # a first signal on the film adds it
        return row, previous, n_signals, relearned

    def _learn_weights(
        self, session: Session, space: VectorSpace, user_id: int, film_id: int, row: EmbeddingRow
    ) -> bool:
        """Before a liked film is written: credit the terms that ranked it well for this user,
        and store their new weights (True when it did)."""
        engine = self.engine
        rows, stored = session.history_and_weights(user_id)
        history = signals.History.from_rows(rows)
        if history.n_signals < engine.model_settings.min_ratings or film_id in history.seen:
            return False  # too little to learn from, or not a candidate: nothing to credit
        scorer: Scorer = space.scorer
        cat = scorer.catalogue
        mask = np.ones(len(cat), dtype=bool)
        mask[cat.positions(list(history.seen))] = False
        vector: Vector | None = row.embedding
        if row.model_version != space.key:  # folded in another space: the same user, in this one
            vector = engine.rebuilt_vector(session, user_id, space)
        if not is_valid_vector(vector, engine.rule.dim):
            vector = None
        new = scorer.updated_weights(
            history.taste,
            vector,
            history.n_signals,
            film_id,
            engine.user_weights(stored),
            mask=mask,
            user=user_id,
        )
        if new is None:
            return False
        session.upsert_model_weights(user_id, new.personal_weight, new.base_weights)
        return True

    # -- the user's vector -----------------------------------------------------------------------
    def rebuild_user(self, user_id: Any) -> Vector:
        """Recompute and store a user's vector from their stored signals (e.g. after a model change)."""
        user_id = check_user_id(user_id)
        engine = self.engine
        space = engine.space()
        with self.repo.transaction() as session:
            row = session.lock_user(user_id, engine.rule.zero(), space.key)
            row.embedding = engine.rebuilt_vector(session, user_id, space)
            row.model_version, row.dim = space.key, engine.rule.dim
            session.store_embedding(user_id, row, session.clock(), engine.note(user_id=user_id))
        engine.cache_vector(user_id, row.embedding, row.n_ratings, space.key)
        return row.embedding

    # -- users, films, settings ------------------------------------------------------------------
    def set_user_name(self, user_id: Any, name: str) -> None:
        user_id = check_user_id(user_id)
        with self.repo.transaction() as session:
            session.ensure_user(user_id)
            session.set_user_name(user_id, str(name)[:200])

    def forget(self, user_id: Any) -> int:
        """Delete everything stored about a user; returns how many rows went."""
        user_id = check_user_id(user_id)
        with self.repo.transaction() as session:
            session.lock_existing_user(user_id)  # the writers' lock, in their order
            n = session.count_user_rows(user_id)
            session.delete_user(user_id)
            session.notify(self.engine.note(user_id=user_id))
        self.engine.forget_user(user_id)
        # The published collaborative models still count their old ratings (in sums over many
        # users) until the next `cinesync train` fits them without.
        return n

    def import_films(self, films: Iterable[Film]) -> int:
        """Insert or update films (metadata merges; re-importing does not duplicate)."""
        rows = [
            {
                "id": check_film_id(f.id),
                "title": f.title,
                "year": f.year,
                "genres": list(f.genres),
                "directors": list(f.directors),
                "actors": list(f.actors),
                "metadata": json.dumps(f.metadata or {}, ensure_ascii=False),
            }
            for f in films
        ]
        if not rows:
            return 0
        with self.repo.transaction() as session:
            session.upsert_films(rows)
            session.notify(self.engine.note("catalogue"))
        self.engine.invalidate()
        return len(rows)

    def set_engine_setting(self, key: str, value: Any, *, source: str = "service") -> None:
        if key == MODEL_SETTINGS_KEY:  # versioned, like every change of the model settings
            self.settings.record_raw(value, source=source)
            return
        self.repo.set_engine_setting(key, value, self.engine.note("bulk"))

    def save_model_settings(self, *, source: str = "service", **changes: Any) -> ModelSettings:
        """Store new engine-wide model settings (validated) as a new version (``service.settings``);
        every process picks them up at once (NOTIFY). Vectors made under other learning settings
        are rebuilt when next used."""
        self.settings.save(changes, source=source)
        return self.engine.model_settings
