"""Film vectors for the personal term: collaborative factors beside the content features (pure).

The seed's design stays: a user's taste is a unit vector moved towards or away from each film
they rate (``user_model``), and the personal term scores every film by its vector's dot product
with the taste vector. What changes is what a film's vector *is*. Content alone (genres, people,
decade) ranks about as well as chance on real data; here a film's vector is

    x_i = R q_i + w * (I - R R^T) c_i

* ``q_i``: the film's row of the truncated SVD of the users x films interaction matrix (PureSVD,
  Cremonesi et al. 2010), scaled so the films' mean norm is 1. With taste vector
  ``u ~ sum_j s_j x_j``, ``u . x_i ~ sum_j s_j q_j . q_i``: PureSVD's score, from the online
  update rule unchanged.
* ``R``: a fixed (seeded) ``dim x factors`` matrix with orthonormal columns, so ``R q_i . R q_j
  = q_i . q_j``; the content vector ``c_i`` (``Catalogue.matrix``) is projected onto the
  complement of ``R``'s columns, so the two parts add without crosstalk.
* ``w`` (``content_weight``): the content's share; a film nobody rated yet has ``q_i = 0`` and
  keeps its content part only.

The factors are refitted in batches on the same schedule as the collaborative base models
(``compute`` pure, ``install`` one assignment). Each installed matrix has a ``version``; a taste
vector folded with another version's film vectors must be rebuilt from the user's signals
(``OnlineUserModel`` does it in memory, the service through the stored ``model_version``).

In the product, ``cinesync train`` fits the factors (``film_factors``) and publishes them with
the other models (``published_state``: film ids, their rows, the parameters); a serving process
builds its vectors from that state over its own catalogue (``from_state``: a film the trainer
did not see keeps its content part) and never refits them: the version is the published one.

>>> import numpy as np
>>> from personalization.core.base_models import Ratings
>>> content = np.eye(4, 8, dtype=np.float32)
>>> iv = ItemVectors(np.arange(1, 5), content, factors=2, content_weight=0.5)
>>> iv.version, iv.matrix.shape
(0, (4, 8))
>>> r = Ratings(np.array([1, 1, 2, 2, 3]), np.array([1, 2, 1, 2, 3]), np.ones(5, np.float32))
>>> iv.fit(r).version, bool(abs(iv.matrix[0] @ iv.matrix[1]) > abs(iv.matrix[0] @ iv.matrix[3]))
(1, True)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models import Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import RatingLog, select_items, user_item_matrix

__all__ = ["ItemVectors", "truncated_svd", "film_factors", "published_state", "FILM_VECTORS"]

FILM_VECTORS = "film_vectors"  # their name among a published version's models

F32 = NDArray[np.float32]


def truncated_svd(matrix: object, k: int, seed: int, oversample: int = 10, power: int = 4) -> NDArray[np.float64]:
    """The top ``k`` right singular vectors of a sparse users x items matrix, as items x k rows
    (randomised range finder, Halko et al. 2011; seeded, so the same data gives the same rows;
    a vector of a zero singular value is zeros)."""
    from scipy import sparse

    x = sparse.csr_matrix(matrix, dtype=np.float64)
    n_users, n_items = x.shape
    k = max(1, min(k, n_users, n_items))
    width = min(n_items, k + oversample)
    omega = np.random.default_rng(seed).standard_normal((n_items, width))
    q, _ = np.linalg.qr(x @ omega)
    for _ in range(power):
        z, _ = np.linalg.qr(x.T @ q)
        q, _ = np.linalg.qr(x @ z)
    b = np.asarray((x.T @ q).T)  # width x items
    _, sv, vt = np.linalg.svd(b, full_matrices=False)
    v = vt[:k].T * (sv[:k] > 1e-8 * sv[0])  # a factor the data does not span is left out
    signs = np.sign(v[np.abs(v).argmax(axis=0), np.arange(v.shape[1])])  # a fixed sign per factor
    return np.asarray(v * np.where(signs == 0, 1.0, signs), np.float64)


def film_factors(
    ratings: Ratings, factors: int, *, seed: int = 7, min_count: int = 2, max_items: int = 20000
) -> tuple[NDArray[np.int64], F32]:
    """(film ids, their ``q_i`` rows): PureSVD item factors of ``ratings`` over the ``max_items``
    most rated films with >= ``min_count`` ratings, scaled so the rows' mean norm is 1 (pure)."""
    items = IdIndex(select_items(ratings, max_items, min_count))
    ids = items.ids  # sorted: the matrix's columns
    rows = np.zeros((len(ids), factors), np.float32)  # fewer factors than asked: zero columns
    if len(ids) < 2:
        return ids, rows
    x, _ = user_item_matrix(ratings, items)
    v = truncated_svd(x, factors, seed)
    norms = np.linalg.norm(v, axis=1)
    mean = float(norms[norms > 0].mean()) if np.any(norms > 0) else 1.0
    v = v[:, :factors]
    rows[:, : v.shape[1]] = v / mean
    return ids, rows


def published_state(
    ratings: Ratings, factors: int, *, content_weight: float = 1.0, seed: int = 7
) -> dict[str, NDArray[np.generic]]:
    """What ``cinesync train`` publishes of the film vectors (numeric arrays: ``save_state``-able):
    the films' factor rows by film id and the parameters a server needs to rebuild the same
    vectors over its catalogue (``ItemVectors.from_state``)."""
    ids, rows = film_factors(ratings, factors, seed=seed)
    return {
        "films": ids,
        "collab": rows,
        "params": np.array([factors, content_weight, seed], np.float64),
        "fitted_on": np.array([len(ratings)], np.int64),
    }


def distinct_rows(matrix: F32) -> tuple[F32, NDArray[np.int64]]:
    """(the distinct rows, each row's index among them): ``rows[inverse] == matrix``. Rows are
    compared as bytes (``np.unique(axis=0)`` sorts column by column: seconds on a catalogue)."""
    m = np.ascontiguousarray(matrix, np.float32)
    if m.ndim != 2 or len(m) == 0:
        return m, np.zeros(len(m), np.int64)
    keys = m.view(np.dtype((np.void, m.dtype.itemsize * m.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return m[first], np.asarray(inverse, np.int64).ravel()


class ItemVectors:
    """Every catalogue film's vector for the personal term (see the module docstring)."""

    refit_growth = 0.25
    min_refit = 200

    def __init__(
        self,
        ids: NDArray[np.int64],
        content: F32,
        *,
        factors: int = 32,
        content_weight: float = 1.0,
        min_count: int = 2,
        max_items: int = 20000,
        refit_every: int = 5000,
        seed: int = 7,
    ):
        if factors < 1 or content_weight < 0 or refit_every < 1:
            raise ValueError("factors and refit_every must be >= 1, content_weight >= 0")
        self.ids = np.asarray(ids, np.int64)
        self.content = np.asarray(content, np.float32)
        self.dim = self.content.shape[1]
        self.factors = min(int(factors), self.dim // 2)
        self.content_weight, self.min_count, self.max_items = float(content_weight), int(min_count), int(max_items)
        self.refit_every, self.seed = int(refit_every), int(seed)
        gauss = np.random.default_rng(seed).standard_normal((self.dim, self.factors))
        self.basis = np.linalg.qr(gauss)[0]  # dim x factors, orthonormal columns
        rest = self.content - (self.content @ self.basis) @ self.basis.T
        self.content_part = np.asarray(self.content_weight * rest, np.float32)
        # Many films share their content row (same genres, no people): score distinct rows once.
        self._rows, self._inverse = distinct_rows(self.content_part)
        self.log = RatingLog()
        self.fitted_on = 0
        self.version = 0  # 0: content only; +1 per installed refit
        self.collab: F32 = np.zeros((len(self.ids), self.factors), np.float32)  # the q_i, film rows
        self.learning = True  # False when built from a published state: a fixed space, never refitted
        self._lock = threading.Lock()

    # -- the refit schedule (the collaborative base models' own, see ``RefitModel``) ------------
    @property
    def next_refit_at(self) -> int:
        return self.fitted_on + min(self.refit_every, max(self.min_refit, int(self.refit_growth * self.fitted_on)))

    @property
    def stale(self) -> bool:
        return self.learning and len(self.log) >= self.next_refit_at

    def learn_one(self, user: int, film: int, stars: float) -> None:
        if self.learning:
            self.log.append(user, film, stars)

    def fit(self, ratings: Ratings) -> ItemVectors:
        self.log = RatingLog(ratings)
        with self._lock:
            self.install(self.compute(ratings), len(ratings))
        return self

    def refit(self) -> None:
        if not self.learning:
            return  # published vectors: the next space comes from the trainer
        with self._lock:
            n = len(self.log)
            self.install(self.compute(self.log.ratings()), n)

    def compute(self, ratings: Ratings) -> F32:
        """The films' collaborative factors ``q_i`` for ``ratings`` (pure: safe in another thread)."""
        ids, rows = film_factors(
            ratings, self.factors, seed=self.seed, min_count=self.min_count, max_items=self.max_items
        )
        return self._scatter(ids, rows)

    def _scatter(self, films: NDArray[np.int64], rows: NDArray[np.floating]) -> F32:
        """``rows`` (one per film id in ``films``) at the catalogue's positions; zeros elsewhere."""
        collab = np.zeros((len(self.ids), self.factors), np.float32)
        if len(films) == 0:
            return collab
        order = np.argsort(films, kind="stable")  # IdIndex sorts its ids: keep each row with its film
        pos, known = IdIndex(films).lookup(self.ids)
        width = min(self.factors, rows.shape[1])
        collab[known, :width] = rows[order][pos[known], :width]
        return collab

    def install(self, collab: F32, fitted_on: int) -> None:
        self.collab = collab  # one assignment: a reader sees the old factors or the new
        self.fitted_on = fitted_on
        self.version += 1

    def state(self) -> dict[str, NDArray[np.generic]]:
        """The installed factors in ``published_state``'s form (the films that have a row)."""
        collab = self.collab
        has = np.flatnonzero(np.any(collab != 0, axis=1))
        return {
            "films": self.ids[has],
            "collab": collab[has],
            "params": np.array([self.factors, self.content_weight, self.seed], np.float64),
            "fitted_on": np.array([self.fitted_on], np.int64),
        }

    @classmethod
    def from_state(
        cls, ids: NDArray[np.int64], content: F32, state: Mapping[str, NDArray[np.generic]], version: int
    ) -> ItemVectors:
        """The film vectors of a published state over a catalogue (``ids``, ``content``): the
        state's parameters, its rows at the films it has (a film it does not know, e.g. one
        added since the training, keeps its content part), ``version`` stamped, and no online
        refit (every process serving that state scores in, and stamps taste vectors with, the
        same space)."""
        factors, content_weight, seed = (float(x) for x in np.asarray(state["params"]).ravel()[:3])
        iv = cls(ids, content, factors=int(factors), content_weight=content_weight, seed=int(seed))
        if iv.factors != int(factors):
            raise ValueError(
                f"the published film vectors have {int(factors)} factors; dim {iv.dim} allows {iv.factors}"
            )
        iv.collab = iv._scatter(np.asarray(state["films"], np.int64), np.asarray(state["collab"], np.float32))
        iv.fitted_on = int(np.asarray(state["fitted_on"]).ravel()[0])
        iv.version, iv.learning = int(version), False
        return iv

    def vector(self, position: int) -> F32:
        """The film's vector ``x_i`` (what a rating of it moves the taste vector with)."""
        q = self.collab[position].astype(np.float64)
        return np.asarray(self.basis @ q + self.content_part[position], np.float32)

    @property
    def matrix(self) -> F32:
        """Every film's vector, one row each (built on demand: scoring does not need it)."""
        return np.asarray(self.collab.astype(np.float64) @ self.basis.T + self.content_part, np.float32)

    def scores(self, vector: NDArray[np.float32]) -> NDArray[np.float64]:
        """``matrix @ vector`` without the matrix: ``q_i . (R^T u) + content_i . u``."""
        collab = self.collab  # read once: a refit installs a new array
        u = np.asarray(vector, np.float64)
        # float32 products (the arrays' own type, summed in float32; scores differ from float64
        # by ~1e-7): converting a 10,000 x 256 matrix to float64 on every call took 8 ms of 9.
        if self.version:
            out = np.asarray(collab @ (self.basis.T @ u).astype(np.float32), np.float64)
        else:
            out = np.zeros(len(collab))
        out += np.asarray(self._rows @ u.astype(np.float32), np.float64)[self._inverse]
        return out
