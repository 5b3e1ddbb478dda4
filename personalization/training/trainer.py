"""The trainer: every stored rating in, the collaborative models fitted, their states published.

``train`` reads the ratings (binary COPY, oldest first), fits each base model of the settings in
force (those with a prior weight > 0) one after the other, writes each one's state as bytes
(``save_state``) and drops it before fitting the next (the peak is one fitted model plus the
ratings), then fits the personal term's film vectors (``core.item_vectors``: collaborative factors,
``film_factors`` of them; none when it is 0) and publishes them in the same version
(``FILM_VECTORS``), then publishes the version and notifies every process in one transaction
(``ModelStore.publish``). ``engine="spark"`` fits ALS's item factors with Spark MLlib instead of
``implicit`` (``training.spark``, the ``[spark]`` extra), published in the same format; the other
models are fitted here as always. Serving processes load it (``service.engine``) and never fit; a new
version's film vectors are a new space for the taste vectors, which are rebuilt when next used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from personalization.config import ModelSettings
from personalization.core.base_models import ALS, BaseModel, Ratings
from personalization.core.base_models.base import save_state
from personalization.core.ensemble import make_base_models
from personalization.core.item_vectors import FILM_VECTORS, published_state
from personalization.errors import CineSyncError
from personalization.observability import trainer_timer
from personalization.service.invalidation import Invalidation
from personalization.storage.models import ModelStore

__all__ = ["Published", "read_ratings", "train"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """What one training published."""

    version: int
    n_ratings: int
    read_seconds: float
    fit_seconds: dict[str, float]  # per model
    nbytes: dict[str, int]  # each model's published state
    seconds: float  # reading, fitting and publishing
    models: dict[str, BaseModel] = field(default_factory=dict, repr=False)  # kept when asked (tests)

    def summary(self) -> str:
        fits = ", ".join(f"{m} {s:.1f}s" for m, s in self.fit_seconds.items())
        size = sum(self.nbytes.values()) / 2**20
        return (
            f"published version {self.version}: {self.n_ratings:,} ratings, {len(self.nbytes)} models "
            f"({fits}), {size:.1f} MiB, in {self.seconds:.1f} s"
        )


def read_ratings(store: ModelStore) -> Ratings:
    """Every stored rating, oldest first."""
    c = store.read_ratings()
    return Ratings(c.users, c.films, c.stars, c.timestamps)


def train(
    store: ModelStore,
    settings: ModelSettings,
    *,
    origin: str,
    keep: int = 3,
    keep_models: bool = False,
    progress: Callable[[str], object] | None = None,
    engine: str = "local",
    fingerprint: str | None = None,
) -> Published:
    """Fit the models on every stored rating and publish them as a new version (the newest
    ``keep`` versions stay). ``origin`` names this trainer in the note to the other processes;
    ``keep_models`` returns the fitted models too (otherwise each goes once published);
    ``engine`` is who fits ALS: ``local`` (implicit) or ``spark`` (Spark MLlib, local mode);
    ``fingerprint``: the stored ratings' fingerprint if the caller just read it (else read here)."""
    if engine not in ("local", "spark"):
        raise CineSyncError(f"unknown training engine {engine!r}: use local or spark")
    if engine == "spark":
        from personalization.training.spark import check_available

        check_available()  # before reading millions of ratings
    start = time.perf_counter()
    say = progress or (lambda _: None)
    with trainer_timer("read"):
        if fingerprint is None:  # read before the ratings: a change meanwhile only makes the next one due
            fingerprint = store.ratings_fingerprint()
        ratings = read_ratings(store)
    if len(ratings) == 0:
        raise CineSyncError("no ratings to train on: import some first (cinesync import ...)")
    read_seconds = time.perf_counter() - start
    say(f"read {len(ratings):,} ratings in {read_seconds:.1f} s")
    blobs: dict[str, bytes] = {}
    seconds: dict[str, float] = {}
    kept: dict[str, BaseModel] = {}
    for name in make_base_models(settings):  # built one at a time below, so each can go when published
        t = time.perf_counter()
        model = make_base_models(settings, [name])[name]
        on_spark = engine == "spark" and isinstance(model, ALS)
        with trainer_timer(f"fit_{name}"):
            if on_spark and isinstance(model, ALS):
                from personalization.training.spark import fit_als

                fit_als(model, ratings)
            else:
                model.fit(ratings)
        blobs[name] = save_state(model.state())
        seconds[name] = time.perf_counter() - t
        where = " on Spark" if on_spark else ""
        say(f"fitted {name}{where} in {seconds[name]:.1f} s ({len(blobs[name]) / 2**20:.1f} MiB)")
        if keep_models:
            kept[name] = model
        del model  # one fitted model in memory at a time
    factors = min(int(settings.film_factors), settings.dim // 2)
    if factors > 0:
        t = time.perf_counter()
        with trainer_timer(f"fit_{FILM_VECTORS}"):
            blobs[FILM_VECTORS] = save_state(published_state(ratings, factors))
        seconds[FILM_VECTORS] = time.perf_counter() - t
        say(f"fitted {FILM_VECTORS} in {seconds[FILM_VECTORS]:.1f} s ({len(blobs[FILM_VECTORS]) / 2**20:.1f} MiB)")
    note = Invalidation("models", None, origin).format()
    with trainer_timer("publish"):
        version = store.publish(
            settings.to_dict(),
            len(ratings),
            blobs,
            note=note,
            fit_seconds=time.perf_counter() - start,
            keep=keep,
            fingerprint=fingerprint,
        )
    published = Published(
        version,
        len(ratings),
        read_seconds,
        seconds,
        {m: len(b) for m, b in blobs.items()},
        time.perf_counter() - start,
        kept,
    )
    log.info("%s", published.summary())
    return published
