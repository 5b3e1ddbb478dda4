"""What one service process keeps in memory, and when it drops it.

The model settings in force (the configured ones overlaid with those saved in the database), the
learning rule, the catalogue, the collaborative models *published* by ``cinesync train`` (loaded
at first use and again when a new version is announced: a serving process never fits one), the
scorer built from them, the caches of active users' vectors and profiles (within one byte
budget, ``Settings.cache_mb``), and the community's rating sums. Other processes' writes reach it
as ``Invalidation`` notes.

**The taste vectors' space.** A user's stored vector is a sum of film vectors, so it means
something only beside the film vectors it was folded with: the published version's (its
collaborative factors, ``ModelSettings.film_factors``) or, before the first training, with the
switch off or in a version without them, the content vectors alone. ``space()`` is the one a
process serves now (``VectorSpace``: the scorer and its ``key``); every stored vector carries
the key it was folded under (``model_version``), a vector under another key is rebuilt from the
user's signals before it is used or stepped (``needs_rebuild``), and the process's vector cache
is emptied whenever the served key changes (only vectors of the current key enter it:
``cache_vector``), so no stored or cached vector is used beside film vectors of another space.
(A request that read a vector just before the process switched to a new version may still
score that one request with it: the read and the scoring take the space separately.)
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from personalization.config import ConfigError, ModelSettings, Settings
from personalization.core import preferences, signals
from personalization.core.base_models import BaseModel, Ratings
from personalization.core.base_models.base import read_state
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import PERSONAL, Scorer, UserWeights, make_base_models, prior_weights
from personalization.core.item_vectors import FILM_VECTORS, ItemVectors
from personalization.core.user_model import UserModel, is_valid_vector
from personalization.errors import UnknownFilm
from personalization.service.cache import TTLCache, VectorCache
from personalization.service.flight import SingleFlight
from personalization.service.invalidation import Invalidation
from personalization.service.space import VectorSpace, space_key
from personalization.storage.models import ModelStore, ModelVersion
from personalization.storage.repository import Repository, Session
from personalization.storage.rows import EmbeddingRow, FilmRow, StoredWeights, Vector
from personalization.storage.settings_store import SettingsStore

__all__ = [
    "Engine",
    "Served",
    "VectorSpace",
    "MODEL_SETTINGS_KEY",
    "CACHE_SHARES",
    "film_of",
    "cache_budgets",
    "space_key",
]

log = logging.getLogger(__name__)
MODEL_SETTINGS_KEY = "model_settings"

# How the per-user byte budget (``Settings.cache_mb``) is shared: taste vectors, preference
# profiles, the reasons written for recent lists of picks (``Explainer.annotate``), and the base
# models' per-user state (running scores, recent films), the last split evenly between the models
# that keep any.
CACHE_SHARES = {"vectors": 0.25, "profiles": 0.09375, "reasons": 0.03125, "models": 0.625}
# Other processes' ratings reach this process's community mean and spread (a profile's rating
# style) within this many seconds: re-reading them is a scan of every rating (seconds at 25
# million), so a note about one member's rating must not trigger one per profile.
COMMUNITY_REFRESH_SECONDS = 30.0


def cache_budgets(settings: Settings) -> dict[str, int]:
    """Each cache's share of ``settings.cache_mb``, in bytes."""
    total = settings.cache_mb * 2**20
    return {name: int(total * share) for name, share in CACHE_SHARES.items()}


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


@dataclass(frozen=True)
class Served:
    """The collaborative models a process serves: a published version's (``version`` None
    before the first one: then only popularity, from the stored counts), built under
    ``settings``."""

    version: ModelVersion | None
    models: dict[str, BaseModel]
    settings: ModelSettings
    # The version's film vectors (``ItemVectors.from_state``'s input); None: content vectors alone.
    vectors: Mapping[str, NDArray[np.generic]] | None = None

    def describe(self) -> str:
        if self.version is None:
            return "none yet: content and popularity only (run `cinesync train`)"
        return self.version.describe()


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
        self.budgets = cache_budgets(settings)
        self.profiles = TTLCache(settings.cache_size, settings.cache_ttl_seconds, max_bytes=self.budgets["profiles"])
        # (user, digest of what the reasons were written from) -> (scorer, weakly; reasons): Explainer's
        self.reasons = TTLCache(settings.cache_size, settings.cache_ttl_seconds, max_bytes=self.budgets["reasons"])
        self.vectors = self._vector_cache(settings.model.dim)
        self.models = ModelStore(repo.pool)
        self._community: _Sums | None = None
        self._community_read_at = 0.0  # time.monotonic() of the last read of the sums
        self._community_behind = False  # another process wrote ratings since that read
        self._catalogue: Catalogue | None = None
        self._served: Served | None = None  # the published models in use (online state kept)
        self._scorer: Scorer | None = None  # the blend recommend and the weight learning use
        self._space: str | None = None  # the served scorer's space key (what the vector cache holds)
        self._loading = threading.Lock()  # one version load at a time
        self._generation = 0  # +1 each time the caches are dropped: a load begun before is not kept
        self._catalogue_flight: SingleFlight[Catalogue] = SingleFlight()
        self._scorer_flight: SingleFlight[Scorer] = SingleFlight()
        self.apply_model_settings(self.saved_model_settings())

    def _vector_cache(self, dim: int) -> VectorCache:
        s = self.settings
        return VectorCache(s.cache_size, dim, s.cache_ttl_seconds, max_bytes=self.budgets["vectors"])

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
        self.rule = UserModel(model.dim, model.learning_rate, model.strong_learning_rate, model.half_life_days)
        if self.vectors.dim != model.dim:
            self.vectors = self._vector_cache(model.dim)

    # -- invalidation ------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Drop every cached thing and re-read the saved model settings. The published models
        stay (with what they learned online) unless the settings changed; the scorer is rebuilt
        at next use, which also picks up a newer version if one was missed."""
        # Drop first: reading the settings needs the database, and when it fails (the server is
        # coming back after an outage) no cache may survive to serve stale data. The read itself
        # runs outside the lock, so requests are not held behind a database that is not there.
        with self.lock:
            self._drop_caches()
        model = self.saved_model_settings()
        with self.lock:
            if model != self.model_settings:
                self._drop_caches()  # anything built meanwhile was built under the old settings
            self.apply_model_settings(model)

    def _drop_caches(self) -> None:
        self._generation += 1
        self.vectors.clear()
        self.profiles.clear()
        self.reasons.clear()
        self._community = None
        self._catalogue = None
        self._scorer = None

    def forget_user(self, user_id: int, *, by_this_process: bool = True) -> None:
        """Drop what is cached about one user. This process's own removals (un-rate, forget)
        drop the community sums too; another process's writes (``by_this_process=False``) make
        them due for a re-read after ``COMMUNITY_REFRESH_SECONDS``."""
        self.vectors.discard(user_id)
        self.profiles.discard(user_id)
        if by_this_process:
            self._community = None
        else:
            self._community_behind = True

    def on_note(self, note: Invalidation) -> None:
        """A note from the listener; this process's own notes are skipped (it updated itself)."""
        if note.is_from(self.token):
            return
        if note.kind == "user" and note.user_id is not None:
            self.forget_user(note.user_id, by_this_process=False)
        elif note.kind == "models":
            self.reload_models()
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
            cat = self._catalogue_flight.run(self._load_catalogue)
        return cat

    def _load_catalogue(self) -> Catalogue:
        """Read and build the catalogue (outside ``lock``: requests that need something else are
        not held behind this database read); kept unless the caches were dropped meanwhile."""
        generation, dim = self._generation, self.model_settings.dim
        cat = Catalogue.build((film_of(r) for r in self.repo.films()), dim)
        # The catalogue is hundreds of thousands of long-lived objects: move them out of the
        # cyclic GC's reach, or every full collection scans them all (60 ms pauses at the 99th
        # percentile of `profile`, measured on 10,000 films).
        gc.freeze()
        with self.lock:
            if generation == self._generation and dim == self.model_settings.dim:
                self._catalogue = cat
        return cat

    def reload_catalogue(self) -> Catalogue:
        """The catalogue read again (a film was added by another process since we loaded)."""
        self._catalogue = None
        return self.catalogue()

    @property
    def fitted_scorer(self) -> Scorer | None:
        """The scorer if it is built already (None: the next ``scorer()`` call builds it)."""
        return self._scorer

    @property
    def served(self) -> Served | None:
        """The collaborative models in use (None until the scorer is first built)."""
        return self._served

    def scorer(self) -> Scorer:
        """The blend of base models and the personal term (``ensemble.Scorer``) over the newest
        *published* collaborative models (``cinesync train``), loaded at first use; never fitted
        here. Each rating this process takes still feeds the models' online state (popularity,
        trending, sequence counts), and every score uses the user's current history."""
        scorer, cat = self._scorer, self.catalogue()
        if scorer is not None and scorer.catalogue is cat:
            return scorer
        return self._scorer_flight.run(lambda: self._build_scorer(cat))

    def _build_scorer(self, cat: Catalogue) -> Scorer:
        """A scorer over ``cat`` and the newest published models (loaded if they are not the ones
        served), kept unless the caches were dropped or the settings changed meanwhile."""
        generation, settings = self._generation, self.model_settings
        served = self._served
        if (
            served is None
            or served.settings != settings
            or (served.version.id if served.version else None) != self.models.newest_id()
        ):
            served = self.load_models(settings)
        scorer = self._scorer_over(cat, served, settings)
        with self.lock:
            if settings == self.model_settings:
                self._served = served
                if generation == self._generation:
                    self._install(scorer)
        return scorer

    def _scorer_over(self, cat: Catalogue, served: Served, settings: ModelSettings) -> Scorer:
        """The scorer of ``served``'s models over ``cat``, with its film vectors when it has them."""
        vectors = None
        if served.vectors is not None and served.version is not None and settings.film_factors > 0:
            try:
                vectors = ItemVectors.from_state(cat.ids, cat.matrix, served.vectors, served.version.id)
            except ValueError as exc:  # e.g. fitted under another dim: content vectors until the next train
                log.warning("not using the published film vectors of %s: %s", served.version.describe(), exc)
        return Scorer(cat, served.models, settings, item_vectors=vectors)

    def _install(self, scorer: Scorer) -> None:
        """Serve ``scorer`` (under ``lock``); a new space empties the vector cache."""
        key = space_key(scorer)
        if key != self._space:
            self.vectors.clear()  # vectors of the old space: rebuilt from the stored signals when next read
            self._space = key
        self._scorer = scorer

    def load_models(self, settings: ModelSettings) -> Served:
        """The newest published version's models (those with a prior weight > 0), each built
        from ``settings`` and given its published state. Popularity, if the version lacks it (or
        there is no version yet), comes from the stored counts: one GROUP BY, not a fit."""
        wanted = [m for m, b in settings.base_weights.items() if b > 0]
        found = self.models.published([*wanted, FILM_VECTORS] if settings.film_factors > 0 else wanted)
        version, blobs = found if found is not None else (None, {})
        vectors = read_state(blobs[FILM_VECTORS]) if FILM_VECTORS in blobs else None
        models = make_base_models(settings, [m for m in wanted if m in blobs])
        for name, model in models.items():
            model.load_state(read_state(blobs[name]))
        if "popularity" in wanted and "popularity" not in models:
            popularity = make_base_models(settings, ["popularity"])["popularity"]
            films, good, total = self.models.film_counts(getattr(popularity, "min_stars", 4.0))
            popularity.load_state({"items": films, "good": good, "total": total})
            models = {"popularity": popularity, **models}
        self._limit_model_caches(models)
        log.info("serving collaborative models: %s", version.describe() if version else "none published yet")
        return Served(version, {m: models[m] for m in wanted if m in models}, settings, vectors)

    def reload_models(self) -> Served | None:
        """Load the newest published version if it is not the one served (a ``models`` note:
        the trainer published one). Requests keep using the old models until the new ones are
        loaded, then the scorer switches in one assignment. Returns what is served (None when
        nothing was loaded yet: the next ``scorer()`` loads)."""
        with self._loading:
            served = self._served
            if served is None:
                return None
            newest = self.models.newest_id()
            if served.version is not None and served.version.id == newest:
                return served
            settings = self.model_settings
            loaded = self.load_models(settings)
            with self.lock:
                if self.model_settings == settings:
                    self._served = loaded
                    old = self._scorer
                    if old is not None:
                        self._install(self._scorer_over(old.catalogue, loaded, settings))
            return loaded

    @property
    def served_version_id(self) -> int | None:
        """The published version served (None: none yet, content and popularity only)."""
        served = self._served
        return served.version.id if served is not None and served.version is not None else None

    def ranking_weights(self, weights: UserWeights) -> UserWeights:
        """``weights`` for ranking with the models served: the base weights of models not served
        (no version yet, or one without them) go to the others in proportion, so the base part
        keeps its share of the blend. The same weights when every model is served."""
        served = self._served
        if served is None:
            return weights
        kept = {m: b for m, b in weights.base_weights.items() if m in served.models}
        total = sum(kept.values())
        if len(kept) == len(weights.base_weights) or total <= 0:
            return weights
        return UserWeights(weights.personal_weight, {m: b / total for m, b in kept.items()})

    def _limit_model_caches(self, models: dict[str, BaseModel]) -> None:
        """Share the models' part of the byte budget between those that keep per-user state."""
        keeping = [m for m in models.values() if type(m).limit_cache is not BaseModel.limit_cache]
        for model in keeping:
            model.limit_cache(self.budgets["models"] // len(keeping))

    def cache_bytes(self) -> dict[str, int]:
        """Bytes each per-user cache holds now (``cinesync db status``, the memory benchmark)."""
        served = self._served
        out = {"vectors": self.vectors.nbytes, "profiles": self.profiles.nbytes, "reasons": self.reasons.nbytes}
        for name, model in (served.models if served else {}).items():
            out[name] = model.cache_bytes()
        return out

    def all_ratings(self) -> Ratings:
        """Every stored rating, oldest first, as column arrays (binary COPY, no row objects)."""
        c = self.models.read_ratings()
        return Ratings(c.users, c.films, c.stars, c.timestamps)

    def film_vector(self, film_id: int) -> Vector:
        """The film's vector in the space served now (re-reading the catalogue once if the film
        is new)."""
        vector = self.space().vector(film_id)
        if vector is None:
            self.reload_catalogue()
            vector = self.space().vector(film_id)
            if vector is None:
                raise UnknownFilm(film_id)
        return vector

    # -- the taste vectors' space ----------------------------------------------------------------
    def space(self) -> VectorSpace:
        """The film vectors this process folds taste vectors with now, and their key."""
        scorer = self.scorer()
        return VectorSpace(space_key(scorer), scorer)

    @property
    def vector_version(self) -> str:
        """The key a stored vector must carry to be used as it is (``model_version``)."""
        return self.space().key

    def cache_vector(self, user_id: int, vector: Vector, n_ratings: int, key: str) -> None:
        """Keep a user's vector folded under ``key`` in the cache, if that is the space served
        (a vector of a space just replaced is dropped instead)."""
        with self.lock:
            if key == self._space:
                self.vectors.put(user_id, vector, n_ratings)
            else:
                self.vectors.discard(user_id)

    # -- users ---------------------------------------------------------------------------------
    def usable(self, vector: Vector) -> bool:
        return bool(is_valid_vector(vector, self.rule.dim))

    def needs_rebuild(self, row: EmbeddingRow, at: datetime, space: VectorSpace | None = None) -> bool:
        """Whether a stored vector must be rebuilt from the user's signals rather than stepped
        in ``space`` (None: the content vectors', what a bulk import folds with): made in
        another space (other settings or film vectors), unusable, or this event is older than
        its last one."""
        return (
            row.model_version != (space.key if space is not None else self.model_settings.version)
            or not self.usable(row.embedding)
            or (row.last_event_at is not None and at < row.last_event_at)
        )

    def rebuilt_vector(self, session: Session, user_id: int, space: VectorSpace | None = None) -> Vector:
        """The user's vector replayed from their effective signals (one per film, oldest first)
        in ``space`` (None: with the content vectors, stamped ``model_settings.version``)."""
        cat = space.catalogue if space is not None else self.catalogue()
        events = []
        for signal in session.effective_signals(user_id):
            pos = cat.position(signal.film_id)
            if pos is not None:
                vector = space.scorer.film_vector(pos) if space is not None else cat.matrix[pos]
                events.append((vector, strength_of(signal.stars, signal.kind), signal.at.timestamp()))
        rebuilt: Vector = self.rule.rebuild(events)  # the times matter only with a half-life
        return rebuilt

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
        now = time.monotonic()
        if sums is None or (self._community_behind and now - self._community_read_at >= COMMUNITY_REFRESH_SECONDS):
            self._community_behind = False  # before the read: a note arriving during it counts again
            sums = self._community = _Sums(*self.repo.community_sums())
            self._community_read_at = now
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
