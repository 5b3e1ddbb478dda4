"""What one service process keeps in memory, and when it drops it.

The model settings in force (the configured ones overlaid with those saved in the database), the
learning rule, the catalogue and the scorer (fitted at first use), the caches of active users'
vectors and profiles, and the community's rating sums. Other processes' writes reach it as
``Invalidation`` notes.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from personalization.config import ConfigError, ModelSettings, Settings
from personalization.core import preferences, signals
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import PERSONAL, Scorer, UserWeights, make_base_models, prior_weights
from personalization.core.user_model import UserModel, is_valid_vector
from personalization.errors import UnknownFilm
from personalization.service.cache import TTLCache, VectorCache
from personalization.service.invalidation import Invalidation
from personalization.storage.repository import Repository, Session
from personalization.storage.rows import EmbeddingRow, FilmRow, StoredWeights, Vector
from personalization.storage.settings_store import SettingsStore

__all__ = ["Engine", "MODEL_SETTINGS_KEY", "film_of"]

log = logging.getLogger(__name__)
MODEL_SETTINGS_KEY = "model_settings"


def film_of(row: FilmRow) -> Film:
    return Film(
        row.id,
        row.title,
        row.year,
        tuple(row.genres or ()),
        tuple(row.directors or ()),
        tuple(row.actors or ()),
        dict(row.metadata or {}),
    )


@dataclass
class _Sums:
    """Count, sum and sum of squares of every rating's stars (kept up to date as this process writes)."""

    n: int
    total: float
    squares: float


class Engine:
    """The in-memory state behind a ``Service``; thread-safe."""

    def __init__(self, repo: Repository, settings: Settings, token: str):
        self.repo, self.settings, self.token = repo, settings, token
        self.lock = threading.RLock()
        self.profiles = TTLCache(settings.cache_size, settings.cache_ttl_seconds)
        self.vectors = VectorCache(settings.cache_size, settings.model.dim, settings.cache_ttl_seconds)
        self._community: _Sums | None = None
        self._catalogue: Catalogue | None = None
        self._scorer: Scorer | None = None  # the blend recommend and the weight learning use
        self.apply_model_settings(self.saved_model_settings())

    # -- settings ----------------------------------------------------------------------------
    def saved_model_settings(self) -> ModelSettings:
        """The configured model settings, overridden by the newest version saved in the database
        (``service.settings``; if any)."""
        saved = dict(SettingsStore(self.repo.pool).current(MODEL_SETTINGS_KEY) or {})
        saved.update(saved.pop("base_models", None) or {})  # nested by a version of this session
        known = set(ModelSettings.names())  # flat names; a removed model's settings are ignored
        try:
            return replace(self.settings.model, **{k: v for k, v in saved.items() if k in known})
        except (TypeError, ConfigError) as exc:
            log.warning("ignoring invalid saved model settings %r: %s", saved, exc)
            return self.settings.model

    def apply_model_settings(self, model: ModelSettings) -> None:
        self.model_settings = model
        self.rule = UserModel(model.dim, model.learning_rate, model.strong_learning_rate)
        if self.vectors.dim != model.dim:
            self.vectors = VectorCache(self.settings.cache_size, model.dim, self.settings.cache_ttl_seconds)

    # -- invalidation ------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Drop every cached thing and re-read the saved model settings."""
        with self.lock:
            self.apply_model_settings(self.saved_model_settings())
            self.vectors.clear()
            self.profiles.clear()
            self._community = None
            self._catalogue = None
            self._scorer = None

    def forget_user(self, user_id: int) -> None:
        """Drop what is cached about one user (another process wrote for them)."""
        self.vectors.discard(user_id)
        self.profiles.discard(user_id)
        self._community = None

    def on_note(self, note: Invalidation) -> None:
        """A note from the listener; this process's own notes are skipped (it updated itself)."""
        if note.is_from(self.token):
            return
        if note.kind == "user" and note.user_id is not None:
            self.forget_user(note.user_id)
        else:
            self.invalidate()

    def note(self, kind: str = "bulk", user_id: int | None = None) -> str:
        """The wire form of a note from this process."""
        if user_id is not None:
            return Invalidation.user(user_id, self.token).format()
        return Invalidation("catalogue" if kind == "catalogue" else "bulk", None, self.token).format()

    # -- catalogue and scorer ------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        cat = self._catalogue
        if cat is None:
            with self.lock:
                if self._catalogue is None:
                    films = (film_of(r) for r in self.repo.films())
                    self._catalogue = Catalogue.build(films, self.model_settings.dim)
                    # The catalogue is hundreds of thousands of long-lived objects: move them out
                    # of the cyclic GC's reach, or every full collection scans them all (60 ms
                    # pauses at the 99th percentile of `profile`, measured on 10,000 films).
                    gc.freeze()
                cat = self._catalogue
        return cat

    def reload_catalogue(self) -> Catalogue:
        """The catalogue read again (a film was added by another process since we loaded)."""
        self._catalogue = None
        return self.catalogue()

    @property
    def fitted_scorer(self) -> Scorer | None:
        """The scorer if it is fitted already (None: the next ``scorer()`` call fits it)."""
        return self._scorer

    def drop_scorer(self) -> None:
        self._scorer = None

    def scorer(self) -> Scorer:
        """The blend of base models and the personal term (``ensemble.Scorer``), fitted on every
        stored rating at first use; afterwards each rating feeds it and the collaborative models
        refit in a background thread as the data grows (the replay measures this same code)."""
        scorer, cat = self._scorer, self.catalogue()
        if scorer is None or scorer.catalogue is not cat:  # first use, or the catalogue changed
            with self.lock:
                if self._scorer is None or self._scorer.catalogue is not cat:
                    ratings = self.all_ratings()
                    models = make_base_models(self.model_settings)
                    for model in models.values():
                        model.fit(ratings)
                    self._scorer = Scorer(cat, models, self.model_settings)
                scorer = self._scorer
        return scorer

    def all_ratings(self) -> Ratings:
        """Every stored rating, oldest first, as column arrays."""
        rows = self.repo.all_ratings()
        if not rows:
            return Ratings.empty()
        users, films, stars, ts = zip(*rows)
        return Ratings(
            np.array(users, np.int64), np.array(films, np.int64), np.array(stars, np.float32), np.array(ts, np.float64)
        )

    def film_vector(self, film_id: int) -> Vector:
        """The film's content vector (re-reading the catalogue once if the film is new)."""
        cat = self.catalogue()
        pos = cat.position(film_id)
        if pos is None:
            cat = self.reload_catalogue()
            pos = cat.position(film_id)
            if pos is None:
                raise UnknownFilm(film_id)
        vector: Vector = cat.matrix[pos]
        return vector

    # -- users ---------------------------------------------------------------------------------
    def usable(self, vector: Vector) -> bool:
        return bool(is_valid_vector(vector, self.rule.dim))

    def needs_rebuild(self, row: EmbeddingRow, at: datetime) -> bool:
        """Whether a stored vector must be rebuilt from the user's signals rather than stepped:
        made under other settings, unusable, or this event is older than its last one."""
        return (
            row.model_version != self.model_settings.version
            or not self.usable(row.embedding)
            or (row.last_event_at is not None and at < row.last_event_at)
        )

    def rebuilt_vector(self, session: Session, user_id: int) -> Vector:
        """The user's vector replayed from their effective signals (one per film, oldest first)."""
        cat = self.catalogue()
        events = []
        for signal in session.effective_signals(user_id):
            pos = cat.position(signal.film_id)
            if pos is not None:
                events.append((cat.matrix[pos], strength_of(signal.stars, signal.kind)))
        vector: Vector = self.rule.rebuild(events)
        return vector

    def user_weights(self, stored: StoredWeights | None) -> UserWeights:
        """The user's stored blend weights, or the tuned global ones."""
        prior = prior_weights(self.model_settings)
        if stored is None:
            return prior
        kept = {m: a for m, a in stored.model_weights.items() if m in prior.base_weights}
        models = {m: kept.get(m, 0.0) for m in prior.base_weights}
        if sum(models.values()) <= 0:
            models = dict(prior.base_weights)
        total, w = sum(models.values()), stored.blend_weight
        return UserWeights.from_term_weights({**{m: (1 - w) * a / total for m, a in models.items()}, PERSONAL: w})

    # -- community -----------------------------------------------------------------------------
    def community(self) -> preferences.CommunityStats:
        """Mean and spread of every rating, and the catalogue's genre count. Kept as sums: this
        process adds its own ratings as it writes; other processes' writes (NOTIFY) and bulk
        changes make it re-read them."""
        sums = self._community
        if sums is None:
            sums = self._community = _Sums(*self.repo.community_sums())
        mean = sums.total / sums.n if sums.n else 0.0
        std = math.sqrt(max(0.0, sums.squares / sums.n - mean * mean)) if sums.n else 0.0
        return preferences.CommunityStats(mean, std, self.catalogue().n_genres)

    def count_in_community(self, stars: float, old_stars: float | None) -> None:
        sums = self._community
        if sums is not None:
            if old_stars is None:
                sums.n += 1
            else:
                sums.total -= old_stars
                sums.squares -= old_stars * old_stars
            sums.total += stars
            sums.squares += stars * stars


def strength_of(stars: float | None, kind: str | None) -> float:
    """A signal's strength: a rating's, or (when ``stars`` is None) a feedback kind's."""
    if stars is not None:
        return signals.stars_strength(stars)
    if kind is None:
        raise ValueError("a signal is a rating or a feedback kind")
    return signals.feedback_strength(kind)
