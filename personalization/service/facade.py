"""The service API: the verbs every front-end calls (bot, dashboard, CLI, notebooks).

Each write is one transaction: the rating or feedback, the user's embedding update and the
counters commit together or not at all, under a row lock on the user's embedding row, so two
processes writing for one user lose nothing. A call returns only after the commit.

``AsyncService`` mirrors ``Service`` verb for verb for the bot's event loop: each call runs in a
worker thread, so no blocking database call ever runs on the loop.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from personalization.core import preferences, ranker, signals
from personalization.core.base_models import Ratings
from personalization.core.ensemble import PERSONAL, Scorer, UserWeights, make_base_models, prior_weights
from personalization.service.cache import TTLCache, VectorCache
from personalization.core.catalogue import Catalogue, Film
from personalization.config import ConfigError, ModelSettings, Settings
from personalization.errors import UnknownFilm, UnknownUser
from personalization.service.results import (FeedbackResult, IngestResult, RateResult, Recommendation, Recommendations, Status,
                      check_film_id, check_timestamp, check_user_id)
from personalization.storage import queries as q
from personalization.storage.db import Database, open_database
from personalization.storage.migrations import migrate
from personalization.storage.notify import Listener
from personalization.core.user_model import UserModel, is_valid_vector

__all__ = ["Service", "AsyncService", "RateResult", "FeedbackResult", "Recommendation",
           "Recommendations", "Status", "check_user_id", "check_film_id"]

log = logging.getLogger(__name__)
MODEL_SETTINGS_KEY = "model_settings"


@dataclass
class _UserState:
    vector: np.ndarray
    n_ratings: int
    n_feedback: int
    version: str
    last_event_at: datetime | None


class Service:
    """The engine: open it once at an entry point, share it, close it at the end."""

    def __init__(self, db: Database, settings: Settings, *, listen: bool = True):
        self.db, self.settings = db, settings
        self._apply_model_settings(self._saved_model_settings())
        self.profiles = TTLCache(settings.cache_size, settings.cache_ttl_seconds)
        self._community: tuple[float, preferences.CommunityStats] | None = None
        self._catalogue: Catalogue | None = None
        self._scorer: Scorer | None = None  # the blend recommend and the weight learning use
        self._lock = threading.RLock()
        self._token = f"{os.getpid()}-{id(self)}"
        self._listener = Listener(db.url, self._on_notify).start() if listen else None

    # -- life cycle ------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | None = None, *, url: str | None = None,
             run_migrations: bool = True, listen: bool = True) -> "Service":
        settings = settings or Settings.from_env()
        db = open_database(settings, url=url)
        try:
            if run_migrations:
                migrate(db.pool)
            return cls(db, settings, listen=listen)
        except Exception:
            db.close()
            raise

    def warm_up(self, *, background: bool = True) -> threading.Thread | None:
        """Load the catalogue and fit the scorer's models now (seconds on 100,000 ratings), so
        the first request does not pay for it. Front-ends call this right after ``open``."""
        def work():
            try:
                self.catalogue()
                self.scorer()
            except Exception:  # the first request will try again and report it
                log.exception("warm-up failed")
        if not background:
            work()
            return None
        thread = threading.Thread(target=work, name="cinesync-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if self._listener:
            self._listener.stop()
        self.db.close()

    def __enter__(self) -> "Service":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- caches ----------------------------------------------------------------------------
    def _on_notify(self, payload: str) -> None:
        kind, _, rest = payload.partition(":")
        if kind == "user":
            user, _, origin = rest.partition(":")
            if origin != self._token:
                self.vectors.discard(int(user))
                self.profiles.discard(int(user))
                self._community = None
        elif kind in ("catalogue", "bulk", "reset"):
            if rest != self._token:
                self.invalidate()

    def _saved_model_settings(self) -> ModelSettings:
        """The configured model settings, overridden by those saved in the database (if any)."""
        saved = self.engine_setting(MODEL_SETTINGS_KEY) or {}
        known = {f.name for f in fields(ModelSettings)}
        try:
            return replace(self.settings.model, **{k: v for k, v in saved.items() if k in known})
        except (TypeError, ConfigError) as exc:
            log.warning("ignoring invalid saved model settings %r: %s", saved, exc)
            return self.settings.model

    def _apply_model_settings(self, model: ModelSettings) -> None:
        self.model_settings = model
        self.rule = UserModel(model.dim, model.learning_rate, model.strong_learning_rate)
        vectors = getattr(self, "vectors", None)
        if vectors is None or vectors.dim != model.dim:
            self.vectors = VectorCache(self.settings.cache_size, model.dim, self.settings.cache_ttl_seconds)

    def save_model_settings(self, **changes) -> ModelSettings:
        """Store new engine-wide model settings (validated); every process picks them up at once
        (NOTIFY). Vectors made under other learning settings are rebuilt when next used."""
        model = replace(self.model_settings, **changes)  # validates
        self.set_engine_setting(MODEL_SETTINGS_KEY, {f.name: getattr(model, f.name) for f in fields(model)})
        self.invalidate()
        return self.model_settings

    def invalidate(self) -> None:
        """Drop every cached thing (after bulk changes or a lost listener connection) and
        re-read the saved model settings."""
        with self._lock:
            self._apply_model_settings(self._saved_model_settings())
            self.vectors.clear()
            self.profiles.clear()
            self._community = None
            self._catalogue = None
            self._scorer = None

    def _notify(self, conn, message: str) -> None:
        """``message`` is "kind:detail"; the origin token lets this process skip its own notes."""
        if message.count(":") == 0:
            message = f"{message}:{self._token}"
        conn.execute(q.NOTIFY, (message,))

    # -- catalogue and base model ----------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        cat = self._catalogue
        if cat is None:
            with self._lock:
                if self._catalogue is None:
                    with self.db.pool.connection() as conn:
                        rows = conn.execute(q.CATALOGUE).fetchall()
                    self._catalogue = Catalogue.build((_film(r) for r in rows), self.model_settings.dim)
                    # The catalogue is hundreds of thousands of long-lived objects: move them out
                    # of the cyclic GC's reach, or every full collection scans them all (60 ms
                    # pauses at the 99th percentile of `profile`, measured on 10,000 films).
                    gc.freeze()
                cat = self._catalogue
        return cat

    def scorer(self) -> Scorer:
        """The blend of base models and the personal term (``ensemble.Scorer``), fitted on every
        stored rating at first use; afterwards each rating feeds it and the collaborative models
        refit in a background thread as the data grows (the replay measures this same code)."""
        scorer, cat = self._scorer, self.catalogue()
        if scorer is None or scorer.catalogue is not cat:  # first use, or the catalogue changed
            with self._lock:
                if self._scorer is None or self._scorer.catalogue is not cat:
                    ratings = self.all_ratings()
                    models = make_base_models(self.model_settings)
                    for model in models.values():
                        model.fit(ratings)
                    self._scorer = Scorer(cat, models, self.model_settings)
                scorer = self._scorer
        return scorer

    def _learn_weights(self, conn, user_id: int, film_id: int, state: _UserState) -> None:
        """Inside a rating's (or love/like's) transaction, before it is written: credit the terms
        that ranked this film well for this user, and store their new weights."""
        if self.model_settings.ensemble_rate <= 0:
            return
        history = _read_history(conn, user_id)
        if history.n_signals < self.model_settings.min_ratings or film_id in history.seen:
            return  # too little to learn from, or not a candidate (re-rating): nothing to credit
        scorer = self.scorer()
        cat = scorer.catalogue
        row = conn.execute(q.MODEL_WEIGHTS, (user_id,)).fetchone()
        mask = np.ones(len(cat), dtype=bool)
        mask[cat.positions(list(history.seen))] = False
        vector = state.vector if is_valid_vector(state.vector, self.rule.dim) else None
        new = scorer.updated_weights(history.taste, vector, history.n_signals, film_id,
                                     self._user_weights(row), mask=mask, user=user_id)
        if new is not None:
            conn.execute(q.UPSERT_MODEL_WEIGHTS, (user_id, new.blend_weight, json.dumps(dict(new.model_weights))))

    def _user_weights(self, row) -> UserWeights:
        """Stored weights (blend_weight, model_weights) or the tuned global ones."""
        prior = prior_weights(self.model_settings)
        if row is None:
            return prior
        stored = {m: float(a) for m, a in dict(row[1] or {}).items() if m in prior.model_weights}
        models = {m: stored.get(m, 0.0) for m in prior.model_weights}
        if sum(models.values()) <= 0:
            models = dict(prior.model_weights)
        return UserWeights.from_experts({**{m: (1 - float(row[0])) * a / sum(models.values())
                                            for m, a in models.items()}, PERSONAL: float(row[0])})

    def all_ratings(self) -> Ratings:
        """Every stored rating, oldest first, as column arrays."""
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.ALL_RATINGS).fetchall()
        if not rows:
            return Ratings.empty()
        users, films, stars, ts = zip(*rows)
        return Ratings(np.array(users, np.int64), np.array(films, np.int64),
                       np.array(stars, np.float32), np.array(ts, np.float64))

    def _film_vector(self, film_id: int) -> np.ndarray:
        cat = self.catalogue()
        pos = cat.position(film_id)
        if pos is None:
            self._catalogue = None  # maybe added by another process since we loaded
            cat = self.catalogue()
            pos = cat.position(film_id)
            if pos is None:
                raise UnknownFilm(film_id)
        return cat.matrix[pos]

    # -- user state --------------------------------------------------------------------------
    def _lock_user(self, conn, user_id: int) -> _UserState:
        """Lock the user's embedding row (creating the user on first sight) and read it."""
        with conn.cursor(binary=True) as cur:
            row = cur.execute(q.LOCK_EMBEDDING, (user_id,)).fetchone()
            if row is None:
                conn.execute(q.ENSURE_USER, (user_id,))
                conn.execute(q.ENSURE_EMBEDDING, (user_id, self.rule.zero(), self.rule.dim,
                                                  self.model_settings.version))
                row = cur.execute(q.LOCK_EMBEDDING, (user_id,)).fetchone()
        emb, dim, n_r, n_f, version, last = row
        return _UserState(_as_vector(emb), n_r, n_f, version, last)

    def _effective_signals(self, conn, user_id: int) -> list[tuple[int, float, datetime]]:
        rows = conn.execute(q.EFFECTIVE_SIGNALS, {"u": user_id}).fetchall()
        out = []
        for film_id, stars, kind, at in rows:
            strength = signals.stars_strength(stars) if kind is None else signals.feedback_strength(kind)
            out.append((film_id, strength, at))
        return out

    def _rebuilt_vector(self, conn, user_id: int) -> np.ndarray:
        cat = self.catalogue()
        events = []
        for film_id, strength, _ in self._effective_signals(conn, user_id):
            pos = cat.position(film_id)
            if pos is not None:
                events.append((cat.matrix[pos], strength))
        return self.rule.rebuild(events)

    def _needs_rebuild(self, state: _UserState, at: datetime) -> bool:
        return (state.version != self.model_settings.version
                or not is_valid_vector(state.vector, self.rule.dim)
                or (state.last_event_at is not None and at < state.last_event_at))

    def _store_vector(self, conn, user_id: int, vector: np.ndarray, state: _UserState,
                      at: datetime) -> None:
        """Write the user's vector and counters, and notify the other processes (at commit)."""
        conn.execute(q.UPDATE_EMBEDDING_NOTIFY, {
            "embedding": vector, "dim": self.rule.dim, "n_ratings": state.n_ratings,
            "n_feedback": state.n_feedback, "version": self.model_settings.version, "at": at,
            "user_id": user_id, "note": f"user:{user_id}:{self._token}"})

    def user_vector(self, user_id: int) -> tuple[np.ndarray, int] | None:
        """The user's taste vector and rating count (cached), or None for an unknown user."""
        user_id = check_user_id(user_id)
        cached = self.vectors.get(user_id)
        if cached is not None:
            return cached
        with self.db.pool.connection() as conn, conn.cursor(binary=True) as cur:
            row = cur.execute(q.READ_EMBEDDING, (user_id,)).fetchone()
            if row is None:
                return None
            vector, n_ratings = _as_vector(row[0]), row[2]
            if row[4] != self.model_settings.version or not is_valid_vector(vector, self.rule.dim):
                log.warning("stored vector of user %s is unusable (version %s); rebuilding", user_id, row[4])
                vector = self.rebuild_user(user_id)
        self.vectors.put(user_id, vector, n_ratings)
        return vector, n_ratings

    def rebuild_user(self, user_id: int) -> np.ndarray:
        """Recompute and store a user's vector from their stored signals (e.g. after a model change)."""
        user_id = check_user_id(user_id)
        with self.db.pool.connection() as conn, conn.transaction():
            state = self._lock_user(conn, user_id)
            vector = self._rebuilt_vector(conn, user_id)
            at = conn.execute(q.CLOCK).fetchone()[0]
            self._store_vector(conn, user_id, vector, state, at)
        self.vectors.discard(user_id)
        return vector

    # -- writes --------------------------------------------------------------------------------
    def rate(self, user_id, film_id, stars, *, at: datetime | float | None = None) -> RateResult:
        """Record a rating (0.5-5 in half steps); re-rating a film replaces its earlier effect."""
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        stars = signals.check_stars(stars)
        item = self._film_vector(film_id)
        with self.db.pool.connection() as conn, conn.transaction():
            state = self._lock_user(conn, user_id)
            old_stars, had_feedback = conn.execute(q.PREVIOUS_SIGNAL, {"u": user_id, "f": film_id}).fetchone()
            had_rating = old_stars is not None
            if stars >= 4.0 and not had_rating:
                self._learn_weights(conn, user_id, film_id, state)
            when = conn.execute(q.UPSERT_RATING, (user_id, film_id, stars, _as_datetime(at))).fetchone()[0]
            if not had_rating:
                state.n_ratings += 1
            if had_rating or had_feedback or self._needs_rebuild(state, when):
                vector = self._rebuilt_vector(conn, user_id)
            else:
                vector = self.rule.step(state.vector, item, signals.stars_strength(stars))
            self._store_vector(conn, user_id, vector, state, when)
            n_signals = conn.execute(q.COUNT_SIGNALS, {"u": user_id}).fetchone()[0]
        # Committed: now update what this process keeps in memory.
        self.vectors.put(user_id, vector, state.n_ratings)
        self.profiles.discard(user_id)
        self._count_in_community(stars, old_stars)
        if self._scorer is not None and not had_rating:
            self._scorer.learn_one(user_id, film_id, stars)
        return RateResult(user_id, film_id, stars, had_rating, state.n_ratings,
                          n_signals >= self.model_settings.min_ratings)

    def feedback(self, user_id, film_id, kind: str, *, context: dict | None = None,
                 at: datetime | float | None = None) -> FeedbackResult:
        """Record love / like / dislike / hate / not_interested on a film."""
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        strength = signals.feedback_strength(kind)
        item = self._film_vector(film_id)
        context_json = json.dumps(context or {}, ensure_ascii=False, default=str)
        with self.db.pool.connection() as conn, conn.transaction():
            state = self._lock_user(conn, user_id)
            old_stars, had_feedback = conn.execute(q.PREVIOUS_SIGNAL, {"u": user_id, "f": film_id}).fetchone()
            if kind in ("love", "like") and old_stars is None and not had_feedback:
                self._learn_weights(conn, user_id, film_id, state)
            when = conn.execute(q.INSERT_FEEDBACK, (user_id, film_id, kind, context_json,
                                                    _as_datetime(at))).fetchone()[0]
            state.n_feedback += 1
            if old_stars is not None or had_feedback or self._needs_rebuild(state, when):
                vector = self._rebuilt_vector(conn, user_id)
            else:
                vector = self.rule.step(state.vector, item, strength)
            self._store_vector(conn, user_id, vector, state, when)
        self.vectors.put(user_id, vector, state.n_ratings)
        self.profiles.discard(user_id)
        return FeedbackResult(user_id, film_id, kind, state.n_feedback)

    def rate_many(self, events: Iterable[tuple[int, int, float, float | datetime]], *,
                  batch_size: int = 5000, progress: Callable[[int], Any] | None = None) -> IngestResult:
        """Apply many ratings (oldest first) through the same learning rule, one transaction per
        batch. Every event must already be valid (see ``importers``). A rating identical to the
        stored one is skipped (re-importing a file changes nothing), and so is a rating older
        than the stored one for that film (an import never reverts a newer rating)."""
        cat = self.catalogue()
        events = [_checked_event(e) for e in events]  # all of them valid before the first write
        unknown = set(e[1] for e in events) - set(cat.ids.tolist())
        if unknown:
            raise UnknownFilm(min(unknown))
        total = IngestResult(0, 0, 0)
        chunk: list = []
        for event in events:
            chunk.append(event)
            if len(chunk) >= batch_size:
                total += self._rate_batch(chunk, cat)
                if progress:
                    progress(len(chunk))
                chunk = []
        if chunk:
            total += self._rate_batch(chunk, cat)
            if progress:
                progress(len(chunk))
        if total.applied:
            self.invalidate()
        return total

    def _rate_batch(self, chunk: list, cat: Catalogue) -> IngestResult:
        users = np.array([int(e[0]) for e in chunk], np.int64)
        films = np.array([int(e[1]) for e in chunk], np.int64)
        stars = [float(e[2]) for e in chunk]
        times = [_as_datetime(e[3]) for e in chunk]
        unknown = set(films.tolist()) - set(cat.ids[cat.positions(films)].tolist())
        if unknown:
            raise UnknownFilm(sorted(unknown)[0])
        uniq = sorted(set(users.tolist()))
        zero = self.rule.zero()
        with self.db.pool.connection() as conn, conn.transaction():
            conn.execute(q.ENSURE_USERS, (uniq,))
            conn.execute(q.ENSURE_EMBEDDINGS, (zero, self.rule.dim, self.model_settings.version, uniq))
            with conn.cursor(binary=True) as cur:
                states = {row[0]: _UserState(_as_vector(row[1]), row[3], row[4], row[5], row[6])
                          for row in cur.execute(q.LOCK_EMBEDDINGS, (uniq,))}
            existing = {(u, f): (s, t) for u, f, s, t in
                        conn.execute(q.EXISTING_RATINGS, (users.tolist(), films.tolist()))}
            rebuild = {r[0] for r in conn.execute(q.USERS_WITH_FEEDBACK_ON, (users.tolist(), films.tolist()))}
            seen: set = set()
            rows, vectors = [], {}
            unchanged = older = 0
            for u, f, s, t in zip(users.tolist(), films.tolist(), stars, times):
                old = existing.get((u, f))
                if old is not None and old[0] == s and old[1] == t:
                    unchanged += 1  # identical to what is stored: re-import is a no-op
                    continue
                if old is not None and old[1] > t:
                    older += 1  # the stored rating is newer (rated since): keep it
                    continue
                state = states[u]
                if old is not None or (u, f) in seen or self._needs_rebuild(state, t) or u in rebuild:
                    rebuild.add(u)
                if old is None and (u, f) not in seen:
                    state.n_ratings += 1
                seen.add((u, f))
                rows.append((u, f, s, t))
                if u not in rebuild:
                    state.vector = self.rule.step(state.vector, cat.matrix[cat.position(f)],
                                                  signals.stars_strength(s))
                    state.last_event_at = t
                    vectors[u] = state.vector
            if not rows:
                return IngestResult(0, unchanged, older)
            with conn.cursor() as cur:
                cur.executemany(q.UPSERT_RATING, rows)
            last_at = {}
            for u, _, _, t in rows:
                last_at[u] = max(t, last_at.get(u, t))
            for u in rebuild & set(last_at):
                vectors[u] = self._rebuilt_vector(conn, u)
            with conn.cursor() as cur:
                cur.executemany(q.UPDATE_EMBEDDING, [
                    {"embedding": vectors[u], "dim": self.rule.dim,
                     "n_ratings": states[u].n_ratings, "n_feedback": states[u].n_feedback,
                     "version": self.model_settings.version, "at": last_at[u], "user_id": u}
                    for u in last_at])
            self._notify(conn, "bulk")
        return IngestResult(len(rows), unchanged, older)

    def import_films(self, films: Iterable[Film]) -> int:
        """Insert or update films (metadata merges; re-importing does not duplicate)."""
        rows = [{"id": check_film_id(f.id), "title": f.title, "year": f.year,
                 "genres": list(f.genres), "directors": list(f.directors), "actors": list(f.actors),
                 "metadata": json.dumps(f.metadata or {}, ensure_ascii=False)} for f in films]
        if not rows:
            return 0
        with self.db.pool.connection() as conn, conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(q.UPSERT_MOVIE, rows)
            self._notify(conn, "catalogue")
        self.invalidate()
        return len(rows)

    def set_user_name(self, user_id, name: str) -> None:
        user_id = check_user_id(user_id)
        with self.db.pool.connection() as conn:
            conn.execute(q.ENSURE_USER, (user_id,))
            conn.execute(q.SET_USER_NAME, (str(name)[:200], user_id))

    def forget(self, user_id) -> int:
        """Delete everything stored about a user; returns how many rows went."""
        user_id = check_user_id(user_id)
        with self.db.pool.connection() as conn, conn.transaction():
            n = conn.execute(q.COUNT_USER_ROWS, {"u": user_id}).fetchone()[0]
            conn.execute(q.DELETE_USER, (user_id,))
            self._notify(conn, f"user:{user_id}:{self._token}")
        self.vectors.discard(user_id)
        self.profiles.discard(user_id)
        self._community = None
        self._scorer = None  # so did the blend's models (refitted without them at next use)
        return int(n)

    # -- reads ---------------------------------------------------------------------------------
    def history(self, user_id) -> tuple[dict[int, float], set[int]]:
        """The user's ``{film: stars}`` and the films they must never be recommended (every film
        they rated or gave feedback on)."""
        history, _ = self._history_and_weights(check_user_id(user_id))
        return history.rated, history.seen

    def blend_weight(self, user_id) -> float:
        return self._history_and_weights(check_user_id(user_id))[1].blend_weight

    def _history_and_weights(self, user_id: int) -> tuple[signals.History, UserWeights]:
        """What ``recommend`` reads per request, in one pooled connection."""
        with self.db.pool.connection() as conn:
            history = _read_history(conn, user_id)
            weights = conn.execute(q.MODEL_WEIGHTS, (user_id,)).fetchone()
        return history, self._user_weights(weights)

    def recommend(self, user_id, k: int = 10, *, genre: str | None = None,
                  decade: int | None = None) -> Recommendations:
        """Top-k films for a user, each saying how its score was made."""
        user_id = check_user_id(user_id)
        k = max(1, min(int(k), 100))
        cat = self.catalogue()
        state = self.user_vector(user_id)
        vector = state[0] if state is not None else self.rule.zero()
        history, weights = self._history_and_weights(user_id)
        rated, n_signals = history.taste, history.n_signals
        mask = np.ones(len(cat), dtype=bool)
        if history.seen:
            mask[cat.positions(list(history.seen))] = False
        if genre:
            mask &= cat.genre_mask(genre)
        if decade is not None:
            mask &= cat.decade_mask(decade)
        # The same scoring code the replay measures (ensemble.Scorer): base models + personal term,
        # blended with this user's learned weights.
        scorer = self.scorer()
        ranking = scorer.rank(rated, vector, weights, mask=mask, k=k, n_ratings=n_signals, user=user_id)
        reasons = self._reasons(cat, ranking, rated, vector)
        items = [Recommendation(cat.get(s.film_id), s.score, s.personal, s.base, ranking.base_model, why)
                 for s, why in zip(ranking.items, reasons)]
        return Recommendations(user_id, ranking.mode, items, n_signals, ranking.blend_weight,
                               self.model_settings.min_ratings)

    def _reasons(self, cat: Catalogue, ranking: ranker.Ranking, rated: dict[int, float],
                 vector: np.ndarray) -> list[str]:
        if ranking.mode == "base" or not ranking.items:
            return [f"popular with people who rate well ({ranking.base_model})"] * len(ranking.items)
        liked = [f for f, s in rated.items() if s >= 4.0]
        liked_pos = cat.positions(liked)
        picks = cat.positions([s.film_id for s in ranking.items])
        out = []
        sims = cat.matrix[liked_pos] @ cat.matrix[picks].T if len(liked_pos) else None
        for j, item in enumerate(ranking.items):
            if sims is not None and item.personal >= item.base:
                best = cat.films[liked_pos[int(np.argmax(sims[:, j]))]]
                out.append(f"because you liked {best.label}")
            elif item.personal >= item.base:
                out.append("matches your taste profile")
            else:
                out.append(f"highly rated by others ({ranking.base_model}), fits your taste")
        return out

    def community(self) -> preferences.CommunityStats:
        """Mean and spread of every rating, and the catalogue's genre count. Kept as sums: this
        process adds its own ratings as it writes; other processes' writes (NOTIFY) and bulk
        changes make it re-read them."""
        sums = self._community
        if sums is None:
            with self.db.pool.connection() as conn:
                n, total, squares = conn.execute(q.COMMUNITY_SUMS).fetchone()
            sums = self._community = [int(n), float(total), float(squares)]
        n, total, squares = sums
        mean = total / n if n else 0.0
        std = math.sqrt(max(0.0, squares / n - mean * mean)) if n else 0.0
        return preferences.CommunityStats(mean, std, self.catalogue().n_genres)

    def _count_in_community(self, stars: float, old_stars: float | None) -> None:
        sums = self._community
        if sums is not None:
            if old_stars is None:
                sums[0] += 1
            else:
                sums[1] -= old_stars
                sums[2] -= old_stars * old_stars
            sums[1] += stars
            sums[2] += stars * stars

    def profile(self, user_id) -> preferences.PreferenceProfile:
        """The user's taste profile (computed from their ratings, stored in user_preferences)."""
        user_id = check_user_id(user_id)
        cached = self.profiles.get(user_id)
        if cached is not None:
            return cached
        community = self.community()
        with self.db.pool.connection() as conn:
            if not conn.execute(q.USER_EXISTS, (user_id,)).fetchone()[0]:
                raise UnknownUser(user_id)
            rows = conn.execute(q.USER_RATINGS, (user_id,)).fetchall()
            weights = conn.execute(q.MODEL_WEIGHTS, (user_id,)).fetchone()
            profile = preferences.analyse(user_id, self._rated_films(rows), community)
            learned = self._user_weights(weights)  # the tuned global ones until the user teaches it
            profile.blend_weight = learned.blend_weight
            profile.model_weights = {m: round(a, 4) for m, a in learned.model_weights.items()}
            conn.execute(q.CACHE_WRITE)  # a derived row: no need to wait for the disk
            conn.execute(q.UPSERT_PROFILE, (user_id, json.dumps(profile.to_dict()), profile.n_ratings))
        self.profiles.put(user_id, profile)
        return profile

    def _rated_films(self, rows: list[tuple[int, float]]) -> list[preferences.RatedFilm]:
        """(film, stars) rows with the films' metadata from the in-memory catalogue."""
        cat = self.catalogue()
        ids = [f for f, _ in rows]
        if len(cat.positions(ids)) < len(ids):
            self._catalogue = None  # a film added by another process since we loaded
            cat = self.catalogue()
        known = dict(zip(cat.ids[cat.positions(ids)].tolist(), cat.positions(ids).tolist()))
        out = []
        for film_id, stars in rows:
            pos = known.get(film_id)
            if pos is not None:
                f = cat.films[pos]
                out.append(preferences.RatedFilm(film_id, float(stars), f.genres, f.directors, f.actors, f.year))
        return out

    def film(self, film_id) -> Film:
        film = self.catalogue().get(check_film_id(film_id))
        if film is None:
            with self.db.pool.connection() as conn:
                row = conn.execute(q.FILM, (check_film_id(film_id),)).fetchone()
            if row is None:
                raise UnknownFilm(film_id)
            self._catalogue = None
            return _film(row)
        return film

    def search_films(self, query: str, limit: int = 25) -> list[Film]:
        query = str(query or "")[:200]
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.SEARCH_FILMS, {"q": escaped, "limit": max(1, min(limit, 100))}).fetchall()
        return [_film(r) for r in rows]

    def status(self) -> Status:
        from personalization.storage.db import redact
        with self.db.pool.connection() as conn:
            films, users, ratings, fb, pers, versions = conn.execute(
                q.STATUS_COUNTS, (self.model_settings.min_ratings,)).fetchone()
        return Status(films, users, ratings, fb, pers, list(versions), self.model_settings.version,
                      redact(self.db.url), {"vectors": len(self.vectors), "profiles": len(self.profiles),
                                            "vector_hits": self.vectors.hits, "vector_misses": self.vectors.misses})

    # -- browsing (bot and dashboard) -----------------------------------------------------------
    def users(self, query: str = "", limit: int = 50) -> list[dict]:
        """Users whose id is ``query`` or whose name contains it (most ratings first)."""
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.SEARCH_USERS, {"q": str(query or "").strip()[:200],
                                                 "limit": max(1, min(int(limit), 1000))}).fetchall()
        return [{"id": u, "name": n, "n_ratings": r, "n_feedback": f} for u, n, r, f in rows]

    def similar_films(self, film_id, k: int = 10) -> list[tuple[Film, float]]:
        """Content neighbours of a film (cosine similarity of the content vectors)."""
        cat = self.catalogue()
        pos = cat.position(check_film_id(film_id))
        if pos is None:
            raise UnknownFilm(film_id)
        sims = cat.matrix @ cat.matrix[pos]
        sims[pos] = -np.inf
        best = ranker.top_k(sims, cat.ids, min(k, len(cat) - 1))
        return [(cat.films[i], float(sims[i])) for i in best]

    def films_to_rate(self, user_id, n: int = 5) -> list[Film]:
        """Films the user probably knows: the most often rated they have not rated (or hidden),
        one per leading genre first so the cards are diverse."""
        user_id = check_user_id(user_id)
        cat = self.catalogue()
        _, excluded = self.history(user_id)
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.FILM_POPULARITY).fetchall()
        counts = {f: n_all for f, n_all, _ in rows}
        order = sorted((f for f in cat.ids.tolist() if f not in excluded), key=lambda f: (-counts.get(f, 0), f))
        picked, rest, seen_genres = [], [], set()
        for film_id in order[: max(20 * n, 100)]:
            film = cat.get(film_id)
            lead = film.genres[0] if film.genres else ""
            (rest if lead in seen_genres else picked).append(film)
            seen_genres.add(lead)
            if len(picked) == n:
                break
        return (picked + rest)[:n]

    def film_fans(self, film_id, k: int = 20, min_stars: float = 4.0) -> list[dict]:
        """Users who rated the film at least ``min_stars``, best ratings first."""
        film_id = check_film_id(film_id)
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.FILM_FANS, (film_id, min_stars, k)).fetchall()
        return [{"user_id": u, "name": n, "stars": float(s)} for u, n, s in rows]

    def nearest_users(self, film_id, k: int = 10) -> list[tuple[int, float]]:
        """Users whose taste vector points closest to this film's content vector."""
        item = self._film_vector(check_film_id(film_id))
        with self.db.pool.connection() as conn:
            rows = conn.execute(q.ALL_EMBEDDINGS, (1, self.model_settings.version)).fetchall()
        rows = [(u, _as_vector(e)) for u, e, _ in rows]
        rows = [(u, v) for u, v in rows if is_valid_vector(v, self.rule.dim) and np.any(v)]
        if not rows:
            return []
        ids = np.array([u for u, _ in rows], np.int64)
        sims = np.vstack([v for _, v in rows]) @ item
        best = ranker.top_k(sims, ids, k)
        return [(int(ids[i]), float(sims[i])) for i in best]

    def taste_trajectory(self, user_id) -> list[tuple[datetime, int, float, np.ndarray]]:
        """How the user's vector moved: (time, film, strength, vector after it) per signal."""
        user_id = check_user_id(user_id)
        cat = self.catalogue()
        with self.db.pool.connection() as conn:
            events = self._effective_signals(conn, user_id)
        out, vector = [], self.rule.zero()
        for film_id, strength, at in events:
            pos = cat.position(film_id)
            if pos is not None:
                vector = self.rule.step(vector, cat.matrix[pos], strength)
                out.append((at, film_id, strength, vector))
        return out

    def overview(self) -> dict:
        """Counts over time, the star distribution and the most-loved genres (for dashboards)."""
        with self.db.pool.connection() as conn:
            return {
                "ratings_per_day": conn.execute(q.RATINGS_PER_DAY).fetchall(),
                "feedback_per_day": conn.execute(q.FEEDBACK_PER_DAY).fetchall(),
                "star_distribution": [(float(s), n) for s, n in conn.execute(q.STAR_DISTRIBUTION)],
                "genres": conn.execute(q.GENRE_LOVE).fetchall(),
            }

    # -- engine-wide settings --------------------------------------------------------------------
    def engine_setting(self, key: str, default=None):
        with self.db.pool.connection() as conn:
            row = conn.execute(q.ENGINE_SETTING, (key,)).fetchone()
        return row[0] if row else default

    def set_engine_setting(self, key: str, value) -> None:
        with self.db.pool.connection() as conn, conn.transaction():
            conn.execute(q.UPSERT_ENGINE_SETTING, (key, json.dumps(value)))
            self._notify(conn, "bulk")


class AsyncService:
    """``Service`` for an asyncio event loop: the same verbs, each awaited in a worker thread."""

    def __init__(self, service: Service):
        self.sync = service

    def __getattr__(self, name: str):
        target = getattr(self.sync, name)
        if not callable(target):
            return target

        async def call(*args, **kwargs):
            return await asyncio.to_thread(target, *args, **kwargs)

        call.__name__ = name
        call.__doc__ = target.__doc__
        return call


def _film(row: Sequence) -> Film:
    fid, title, year, genres, directors, actors, metadata = row
    return Film(fid, title, year, tuple(genres or ()), tuple(directors or ()), tuple(actors or ()),
                dict(metadata or {}))


def _read_history(conn, user_id: int) -> signals.History:
    return signals.History.from_rows(conn.execute(q.USER_HISTORY, {"u": user_id}).fetchall())


def _checked_event(event: Sequence) -> tuple[int, int, float, float | datetime]:
    user, film, stars, at = event
    return (check_user_id(user), check_film_id(film), signals.check_stars(stars),
            at if isinstance(at, datetime) else check_timestamp(at))


def _as_vector(value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        return np.full(1, np.nan, dtype=np.float32)


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(check_timestamp(value), tz=timezone.utc)
