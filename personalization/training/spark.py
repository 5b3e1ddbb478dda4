"""ALS on Apache Spark MLlib (``cinesync train --engine spark``; the ``[spark]`` extra).

For rating logs that outgrow one machine: Spark's ``pyspark.ml.recommendation.ALS`` fits the
item factors in place of ``implicit``, and the result is installed in the project's own ``ALS``
model, so what is published (the film ids and a float32 films x factors matrix) is byte-for-byte
the format of the default trainer and serving processes load it unchanged (each user's factors
are still re-solved from their current history with ``implicit``'s ``recalculate_user``).

The same data go in as in ``ALS.compute``: the films it covers (``select_items``: the
``max_items`` most rated with >= ``min_count`` ratings, sorted ids) and one weight per user and
film (``user_item_matrix``: 1, or ``low_weight`` below 3 stars; a re-rated film counts once).
``implicit`` gives an observed pair the confidence ``alpha * w``; Spark gives ``1 + alpha' * r``.
Spark is fed ``r = alpha * w - 1`` with ``alpha' = 1``, so the confidences are the same (exact
while ``alpha * w > 1``, true of the defaults: alpha 10, w 1; otherwise ``r = w``, ``alpha' =
alpha``, one more than implicit's). One difference stays: Spark scales the L2 term by each
user's (film's) number of ratings (ALS-WR), implicit does not; ``regParam = regularization``.

Users and films go to Spark as positions (Spark's ids are 32-bit ints); its factors come back
by film position. The local session is the preference analysis's (``local_session``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from personalization.core.base_models import ALS, Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import RatingLog, select_items, user_item_matrix
from personalization.optional import require

__all__ = ["ENGINES", "check_available", "fit_als", "session"]

log = logging.getLogger(__name__)

ENGINES = ("local", "spark")  # who fits ALS: implicit in this process, or Spark MLlib


def check_available() -> None:
    """Raise ``MissingExtra`` (naming the ``[spark]`` extra) when pyspark is not installed."""
    require("pyspark", extra="spark")
    require("pyarrow", extra="spark")


def session(cores: int = 2) -> Any:
    """The process's local SparkSession (started once, reused by every later training)."""
    check_available()
    from personalization.analytics.preferences_spark import local_session

    return local_session(cores=cores, app_name="cinesync-train")


def fit_als(model: ALS, ratings: Ratings, spark: Any = None) -> ALS:
    """``model.fit(ratings)`` with the item factors fitted by Spark MLlib (``spark``: a
    SparkSession, the local one if None). The model ends as ``fit`` leaves it."""
    items = IdIndex(select_items(ratings, model.max_items, model.min_count))
    factors = np.zeros((0, model.factors), np.float32)
    if len(items):
        matrix, _ = user_item_matrix(ratings, items, model.low_weight)
        factors = item_factors(model, matrix, spark if spark is not None else session())
    arrays: dict[str, np.ndarray] = {"items": items.ids}
    if len(items):
        arrays["item_factors"] = factors
    model.log = RatingLog(ratings)
    model.learning = True
    model.install(model.from_arrays(arrays), len(ratings))
    return model


def item_factors(model: ALS, matrix: Any, spark: Any) -> np.ndarray:
    """Spark's item factors for a users x films CSR of weights, one row per film position."""
    from pyspark.ml.recommendation import ALS as SparkALS

    pa = require("pyarrow", extra="spark")  # comes with pyspark's [spark] extra
    coo = matrix.tocoo()
    weights = coo.data.astype(np.float64)
    exact = bool(len(weights)) and float(weights.min()) * model.alpha > 1.0
    rating = weights * model.alpha - 1.0 if exact else weights
    if not exact:
        log.info("alpha x weight <= 1 for some ratings: Spark's confidence is 1 + alpha x weight")
    table = pa.table(
        {
            "user": pa.array(coo.row.astype(np.int32)),
            "item": pa.array(coo.col.astype(np.int32)),
            "rating": pa.array(rating.astype(np.float32)),
        }
    )
    blocks = max(2, int(spark.sparkContext.defaultParallelism))
    als = SparkALS(
        rank=model.factors,
        maxIter=model.iterations,
        regParam=model.regularization,
        alpha=1.0 if exact else model.alpha,
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        seed=model.seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
    )
    frame = spark.createDataFrame(table)
    fitted = als.fit(frame)
    out = fitted.itemFactors.toArrow()
    ids = np.asarray(out.column("id").to_numpy(), np.int64)
    rows = np.asarray(out.column("features").combine_chunks().flatten().to_numpy(), np.float32)
    factors = np.zeros((matrix.shape[1], model.factors), np.float32)
    factors[ids] = rows.reshape(len(ids), model.factors)  # a film without ratings keeps zeros
    return factors
