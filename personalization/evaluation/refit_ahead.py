"""Each batch-fitted model's *next* refit, computed ahead of time in a worker thread."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from personalization.core.base_models import BaseModel, Ratings, RefitModel
from personalization.core.base_models.refit import RatingLog
from personalization.core.item_vectors import ItemVectors

__all__ = ["RefitAhead"]

Refittable = RefitModel[Any] | ItemVectors


class RefitAhead:
    """The refit schedule depends only on how many ratings a model has seen, and the replay knows
    the stream, so the ratings of the next refit are a known prefix of it. A worker thread
    computes that refit (``compute``, the same code on the same ratings; the heavy parts, LAPACK
    and implicit's kernels, release the GIL) while the replay scores events on the other core;
    when the model falls due, the result is installed (``install``), as a synchronous ``refit``
    would have left it. Anything unexpected (the log is not that prefix) falls back to the
    synchronous refit; other stale models simply ``refit``.
    """

    def __init__(self, ratings: Ratings, models: Mapping[str, BaseModel | ItemVectors]):
        self.users = np.asarray(ratings.users, np.int64)  # as RatingLog stores them
        self.films = np.asarray(ratings.films, np.int64)
        self.stars = np.asarray(ratings.stars, np.float32)
        ahead = {name: m for name, m in models.items() if isinstance(m, (RefitModel, ItemVectors))}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-refit") if ahead else None
        self.jobs: dict[str, tuple[int, Future[Any]]] = {}
        for name, model in ahead.items():
            self._schedule(name, model)

    def _schedule(self, name: str, model: Refittable) -> None:
        n = model.next_refit_at
        if self.pool is not None and n <= len(self.users):
            prefix = Ratings(self.users[:n], self.films[:n], self.stars[:n])
            self.jobs[name] = (n, self.pool.submit(model.compute, prefix))

    def refit(self, name: str, model: BaseModel | ItemVectors) -> None:
        if not isinstance(model, (RefitModel, ItemVectors)):
            model.refit()
            return
        n = len(model.log)
        job = self.jobs.pop(name, None)
        if job is not None and job[0] == n and self._is_prefix(model.log, n):
            model.install(job[1].result(), n)
        else:
            if job is not None:
                job[1].cancel()
            model.refit()
        self._schedule(name, model)

    def _is_prefix(self, log: RatingLog, n: int) -> bool:
        return (
            np.array_equal(log.films[:n], self.films[:n])
            and np.array_equal(log.users[:n], self.users[:n])
            and np.array_equal(log.stars[:n], self.stars[:n])
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
