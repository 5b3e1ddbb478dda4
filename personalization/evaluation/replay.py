"""Prequential replay ("test, then learn"): how good the recommendations are, on a rating stream.

Protocol, exactly:

1. Sort the ratings by timestamp, ties kept in file order.
2. Walk the stream. An event (user, film, stars) is *eligible* when the user already has at least
   ``MIN_HISTORY`` (5) earlier ratings and ``stars >= 4``.
3. For each eligible event (or every N-th one, ``every``), ask each model for its top 10 among all
   catalogue films the user has not rated before this event; record HR@10 (the film is in it) and
   NDCG@10 (``1 / log2(rank + 1)``, 0 outside the top 10). Ranks follow ``ranker``'s tie rule:
   scores rounded to ``SCORE_DECIMALS`` places, then the lower film id.
4. Then feed the event to every model, evaluated or not.

Everything runs in memory through the code the service runs (``ensemble.Scorer``, the base models,
``user_model.UserModel``), so the figures describe the product. The per-user weights of
``cinesync`` are learned on *every* eligible event (as the service learns them in each rating's
transaction), so ``every`` thins the evaluation, never the learning.

Models (``model_names()``): ``seed`` (the original design, ``evaluation.seed``), each term alone
(every registered base model, ``core.base_models.registry``, and ``personal``), ``collaborative``
(the fixed global blend of the base models, no personal term), ``blend`` (the fixed global blend
with the personal term) and ``cinesync`` (the default configuration: ``blend`` with per-user
weights learned online).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from personalization.config import ModelSettings
from personalization.core import signals
from personalization.core.base_models import REGISTRY, BaseModel, Ratings, RefitModel
from personalization.core.base_models.refit import RatingLog
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import (
    PERSONAL,
    Scorer,
    UserWeights,
    blend,
    learn_weights,
    make_base_models,
    prior_weights,
)
from personalization.core.ranker import SCORE_DECIMALS, rank_of
from personalization.core.user_model import OnlineUserModel, UserModel

__all__ = [
    "Stream",
    "ModelResult",
    "ReplayReport",
    "load_stream",
    "run_replay",
    "fit_scorer",
    "model_names",
    "BLENDS",
    "DEFAULT_MODELS",
    "BUCKETS",
    "K",
    "MIN_HISTORY",
    "MIN_STARS",
]

K = 10
MIN_HISTORY = 5
MIN_STARS = 4.0
BLENDS = ("collaborative", "blend", "cinesync")
DEFAULT_MODELS = ("popularity", "seed", "cinesync")


def model_names() -> tuple[str, ...]:
    """What the replay can compare: the seed baseline, each term alone (every registered base
    model, then the personal term) and the three blends."""
    return ("seed", *REGISTRY, PERSONAL, *BLENDS)


BUCKETS = ((5, 9, "5-9"), (10, 19, "10-19"), (20, 49, "20-49"), (50, None, "50+"))


@dataclass
class Stream:
    """A rating stream and its films. Ratings are put in timestamp order (stable: ties keep the
    order given) when timestamps are present; otherwise the given order is the time order."""

    ratings: Ratings
    films: list[Film]
    name: str = "stream"

    def __post_init__(self) -> None:
        r = self.ratings
        if r.timestamps is not None and len(r) and np.any(np.diff(r.timestamps) < 0):
            order = np.argsort(r.timestamps, kind="stable")
            self.ratings = Ratings(r.users[order], r.films[order], r.stars[order], r.timestamps[order])

    def __len__(self) -> int:
        return len(self.ratings)

    def head(self, n: int) -> Stream:
        r = self.ratings
        ts = r.timestamps[:n] if r.timestamps is not None else None
        return Stream(Ratings(r.users[:n], r.films[:n], r.stars[:n], ts), self.films, self.name)


def load_stream(directory: str | Path) -> Stream:
    """Ratings and films from a MovieLens folder (ml-100k or ml-latest layout, credits optional)."""
    from personalization.data.importers import read_movielens

    data = read_movielens(Path(directory))
    if data.ratings:
        users, films, stars, ts = (np.array(c) for c in zip(*data.ratings))
    else:
        users = films = np.zeros(0, np.int64)
        stars, ts = np.zeros(0, np.float32), np.zeros(0)
    ratings = Ratings(users.astype(np.int64), films.astype(np.int64), stars.astype(np.float32), ts.astype(np.float64))
    return Stream(ratings, data.films, Path(directory).name)


def fit_scorer(stream: Stream, settings: ModelSettings | None = None) -> Scorer:
    """A ``Scorer`` with the default blend's base models fitted on the whole stream at once
    (what the service holds after start-up); for benchmarks, tests and notebooks."""
    settings = settings or ModelSettings()
    catalogue = Catalogue.build(stream.films, settings.dim)
    models = make_base_models(settings)
    for model in models.values():
        model.fit(stream.ratings)
    return Scorer(catalogue, models, settings)


@dataclass(frozen=True)
class ModelResult:
    model: str
    hr_at_10: float
    ndcg_at_10: float
    evaluated: int
    seconds: float

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "hr@10": round(self.hr_at_10, 4),
            "ndcg@10": round(self.ndcg_at_10, 4),
            "evaluated": self.evaluated,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class ReplayReport:
    protocol: dict
    results: list[ModelResult]
    by_count: list[dict] = field(default_factory=list)  # {"model", "bucket", "hr@10", "evaluated"}

    def to_dict(self) -> dict:
        return {"protocol": self.protocol, "results": [r.to_dict() for r in self.results]}

    def result(self, model: str) -> ModelResult:
        return next(r for r in self.results if r.model == model)

    def table(self) -> str:
        """The results as a Markdown table (what ``cinesync replay`` prints)."""
        lines = ["| model | HR@10 | NDCG@10 | evaluated | seconds |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {r.model} | {r.hr_at_10:.4f} | {r.ndcg_at_10:.4f} | {r.evaluated} | {r.seconds:.1f} |"
            for r in self.results
        ]
        return "\n".join(lines)

    def bucket_table(self) -> str:
        """HR@10 by how many ratings the user had before the event."""
        labels = [b[2] for b in BUCKETS]
        cells = {(d["model"], d["bucket"]): d for d in self.by_count}
        lines = ["| model | " + " | ".join(f"HR@10 {b}" for b in labels) + " |", "|---|" + "---:|" * len(labels)]
        for r in self.results:
            row = [cells.get((r.model, b)) for b in labels]
            lines.append(
                f"| {r.model} | " + " | ".join(f"{c['hr@10']:.4f}" if c and c["evaluated"] else "-" for c in row) + " |"
            )
        counts = [cells.get((self.results[0].model, b)) if self.results else None for b in labels]
        lines.append("| (events) | " + " | ".join(str(c["evaluated"]) if c else "0" for c in counts) + " |")
        return "\n".join(lines)


def _bucket(n: int) -> int:
    for i, (lo, hi, _) in enumerate(BUCKETS):
        if n >= lo and (hi is None or n <= hi):
            return i
    return -1


def _terms_for(model: str, prior: UserWeights) -> set[str]:
    if model in REGISTRY or model == PERSONAL:
        return {model}
    if model in BLENDS:
        used = {m for m, b in prior.base_weights.items() if b > 0}
        return used | ({PERSONAL} if model != "collaborative" and prior.personal_weight > 0 else set())
    return set()


def run_replay(
    stream: Stream,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    every: int = 1,
    settings: ModelSettings | None = None,
    progress: bool = False,
    max_events: int | None = None,
    evaluate_from: int = 0,
    record: list | None = None,
    record_top: int = 100,
) -> ReplayReport:
    """Replay ``stream`` through ``models`` (see the module docstring for the protocol).

    ``evaluate_from``: learn from every event but evaluate only events at or after this index
    (the tuner uses it to report on the later part of a stream only). ``record``: a list that
    receives one ``Snapshot`` per evaluated event (each term's normalised scores on the union of
    the terms' ``record_top`` best films), so ``tune`` can try blends without replaying.
    """
    settings = settings or ModelSettings()
    known = model_names()
    unknown = [m for m in models if m not in known]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {', '.join(known)}")
    if every < 1:
        raise ValueError("every must be >= 1")
    if max_events is not None:
        stream = stream.head(max_events)
    replay = _Replay(stream, list(dict.fromkeys(models)), every, settings, evaluate_from)
    replay.record, replay.record_top = record, record_top
    try:
        return replay.run(progress)
    finally:
        replay.ahead.close()


class _Replay:
    def __init__(self, stream: Stream, models: list[str], every: int, settings: ModelSettings, evaluate_from: int):
        self.stream, self.models, self.every, self.settings = stream, models, every, settings
        self.evaluate_from = evaluate_from
        self.catalogue = Catalogue.build(stream.films, settings.dim)
        self.prior = prior_weights(settings)
        self.term_names = sorted(set().union(*(_terms_for(m, self.prior) for m in models)))
        base_names = [t for t in self.term_names if t != PERSONAL]
        self.scorer = Scorer(self.catalogue, make_base_models(settings, base_names), settings)
        rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate)
        self.users = OnlineUserModel(rule, lambda f: self.catalogue.matrix[self.catalogue.position(f)])
        self.seed = None
        if "seed" in models:
            from personalization.evaluation.seed import Seed

            self.seed = Seed(stream.films, settings.dim)
        self.seconds: defaultdict[str, float] = defaultdict(float)  # per term and per model
        self.hits: defaultdict[str, float] = defaultdict(float)
        self.gains: defaultdict[str, float] = defaultdict(float)
        self.bucket_hits: defaultdict[tuple[str, int], float] = defaultdict(float)
        self.bucket_n: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.record: list | None = None
        self.record_top = 100
        self.ahead = _RefitAhead(stream.ratings, self.scorer.base_models)

    def run(self, progress: bool) -> ReplayReport:
        r = self.stream.ratings
        cat = self.catalogue
        pos_all, known = _positions(cat.ids, r.films)
        if not known.all():
            missing = np.unique(r.films[~known])[:5].tolist()
            raise ValueError(f"ratings name films missing from the film list, e.g. {missing}")
        ids = cat.ids
        history: dict[int, dict[int, float]] = defaultdict(dict)
        hist_pos: dict[int, _Positions] = defaultdict(_Positions)  # each user's rated films
        weights: dict[int, UserWeights] = {}
        learn = "cinesync" in self.models and self.settings.ensemble_rate > 0
        blended = [t for t in self.term_names if t == PERSONAL or self.prior.base_weights.get(t, 0) > 0]
        eligible = evaluated = 0
        bar = _progress(len(r), progress)
        users, films, stars = r.users.tolist(), r.films.tolist(), r.stars.tolist()
        for i, (u, f, s) in enumerate(zip(users, films, stars)):
            p = int(pos_all[i])
            hist = history[u]
            n_before = len(hist)
            is_eligible = n_before >= MIN_HISTORY and s >= MIN_STARS
            evaluate = False
            if is_eligible:
                evaluate = i >= self.evaluate_from and eligible % self.every == 0
                eligible += 1
            if evaluate or (is_eligible and learn):
                mask = np.ones(len(ids), bool)  # the candidates: films not rated before
                mask[hist_pos[u].view()] = False
                vector = self.users.vector(u)
                terms = self._terms(u, hist, vector, n_before)
                uw = weights.get(u, self.prior)
                if evaluate:
                    evaluated += 1
                    self._evaluate(u, p, terms, uw, mask, _bucket(n_before))
                    if self.record is not None:
                        self.record.append(_snapshot(u, p, n_before, terms, mask, ids, self.record_top))
                if learn:
                    t0 = time.perf_counter()
                    present = {t: terms[t] for t in blended if t in terms}
                    weights[u] = learn_weights(present, ids, p, mask, uw, self.prior, self.settings)
                    self.seconds["cinesync"] += time.perf_counter() - t0
            self._learn(u, f, s)
            if f in hist:
                del hist[f]
            hist[f] = s
            if len(hist) > n_before:  # a new film (a re-rated one is there already)
                hist_pos[u].add(p)
            if bar is not None and i % 1000 == 999:
                bar.update(1000)
        if bar is not None:
            bar.update(len(r) - bar.n)
            bar.close()
        return self._report(eligible, evaluated)

    def _terms(self, u, hist, vector, n_before) -> dict[str, np.ndarray]:
        out = {}
        personalised = self.scorer.personalised(n_before, vector)
        for name in self.term_names:
            if name == PERSONAL and not personalised:
                continue
            t0 = time.perf_counter()
            out.update(self.scorer.terms(hist, vector, [name], user=u))
            self.seconds["term:" + name] += time.perf_counter() - t0
        return out

    def _evaluate(self, u: int, p: int, terms: dict, uw: UserWeights, mask: np.ndarray, bucket: int) -> None:
        ids = self.catalogue.ids
        for model in self.models:
            t0 = time.perf_counter()
            if model == "seed" and self.seed is not None:
                scores = self.seed.score_user(u, ids)
            elif model in terms:
                scores = terms[model]
            elif model == PERSONAL or model in REGISTRY:
                scores = np.zeros(len(ids))  # the term had nothing to say (e.g. no taste vector)
            elif model == "collaborative":
                scores = blend(terms, UserWeights(0.0, self.prior.base_weights), mask, False)[0]
            elif model == "blend":
                scores = blend(terms, self.prior, mask)[0]
            else:  # cinesync
                scores = blend(terms, uw, mask)[0]
            rank = rank_of(scores, ids, p, mask)
            self.seconds[model] += time.perf_counter() - t0
            if rank <= K:
                gain = 1.0 / math.log2(rank + 1)
                self.hits[model] += 1
                self.gains[model] += gain
                self.bucket_hits[(model, bucket)] += 1
            self.bucket_n[(model, bucket)] += 1

    def _learn(self, u: int, f: int, s: float) -> None:
        for name, model in self.scorer.base_models.items():
            t0 = time.perf_counter()
            model.learn_one(u, f, s)
            if model.stale:
                self.ahead.refit(name, model)
            self.seconds["term:" + name] += time.perf_counter() - t0
        if PERSONAL in self.term_names:
            t0 = time.perf_counter()
            self.users.learn_one(u, f, signals.stars_strength(s))
            self.seconds["term:" + PERSONAL] += time.perf_counter() - t0
        if self.seed is not None:
            t0 = time.perf_counter()
            self.seed.learn_one(u, f, s)
            self.seconds["seed"] += time.perf_counter() - t0

    def _report(self, eligible: int, evaluated: int) -> ReplayReport:
        results = []
        for model in self.models:
            secs = self.seconds[model] + sum(self.seconds["term:" + t] for t in _terms_for(model, self.prior))
            n = evaluated
            results.append(
                ModelResult(model, self.hits[model] / n if n else 0.0, self.gains[model] / n if n else 0.0, n, secs)
            )
        by_count = []
        for model in self.models:
            for b, (_, _, label) in enumerate(BUCKETS):
                n = self.bucket_n[(model, b)]
                by_count.append(
                    {
                        "model": model,
                        "bucket": label,
                        "hr@10": self.bucket_hits[(model, b)] / n if n else 0.0,
                        "evaluated": n,
                    }
                )
        protocol = {
            "dataset": self.stream.name,
            "events": len(self.stream),
            "films": len(self.catalogue),
            "users": int(len(np.unique(self.stream.ratings.users))),
            "k": K,
            "min_history": MIN_HISTORY,
            "min_stars": MIN_STARS,
            "eligible": eligible,
            "evaluated": evaluated,
            "every": self.every,
            "evaluate_from": self.evaluate_from,
            "order": "timestamp, ties in file order",
            "ties": f"scores rounded to {SCORE_DECIMALS} decimals, then the lower film id",
            "candidates": "all films the user has not rated before the event",
        }
        return ReplayReport(protocol, results, by_count)


class _Positions:
    """A user's rated catalogue positions as a growing array (no per-event conversion)."""

    __slots__ = ("buf", "n")

    def __init__(self):
        self.buf, self.n = np.empty(16, np.int64), 0

    def add(self, p: int) -> None:
        if self.n == len(self.buf):
            self.buf = np.concatenate([self.buf, np.empty_like(self.buf)])
        self.buf[self.n] = p
        self.n += 1

    def view(self) -> np.ndarray:
        return self.buf[: self.n]


class _RefitAhead:
    """Computes each refit model's *next* refit in a worker thread, ahead of time.

    The refit schedule depends only on how many ratings a model has seen, and the replay knows
    the stream, so the ratings of the next refit are a known prefix of it. A worker thread
    computes that refit (``RefitModel.compute``, the same code on the same ratings; the heavy
    parts, LAPACK and implicit's kernels, release the GIL) while the replay scores events on the
    other core; when the model falls due, the result is installed (``install``), as a
    synchronous ``refit`` would have left it. Anything unexpected (the log is not that prefix)
    falls back to the synchronous refit; other stale models simply ``refit``.
    """

    def __init__(self, ratings: Ratings, models: Mapping[str, BaseModel]):
        from concurrent.futures import ThreadPoolExecutor

        self.users = np.asarray(ratings.users, np.int64)  # as RatingLog stores them
        self.films = np.asarray(ratings.films, np.int64)
        self.stars = np.asarray(ratings.stars, np.float32)
        ahead = {name: m for name, m in models.items() if isinstance(m, RefitModel)}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-refit") if ahead else None
        self.jobs: dict[str, tuple[int, Future[Any]]] = {}
        for name, model in ahead.items():
            self._schedule(name, model)

    def _schedule(self, name: str, model: RefitModel[Any]) -> None:
        n = model.next_refit_at
        if self.pool is not None and n <= len(self.users):
            prefix = Ratings(self.users[:n], self.films[:n], self.stars[:n])
            self.jobs[name] = (n, self.pool.submit(model.compute, prefix))

    def refit(self, name: str, model: BaseModel) -> None:
        if not isinstance(model, RefitModel):
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


@dataclass(frozen=True)
class Snapshot:
    """One evaluated event, as the tuner needs it: the terms' normalised scores on a shortlist
    (the union of each term's best films, plus the target film at index 0)."""

    user: int
    n_before: int
    ids: np.ndarray  # film ids of the shortlist (target first)
    scores: dict  # term -> raw scores on the shortlist
    ranks: dict  # term -> exact rank of the target among all candidates
    stats: dict  # term -> (min, max, mean, std) over all candidates


def _snapshot(u, p, n_before, terms, mask, ids, top) -> Snapshot:
    cand = np.flatnonzero(mask)
    picks = [np.array([p])]
    stats = {}
    for name, sc in terms.items():
        sub = sc[cand]
        stats[name] = (float(sub.min()), float(sub.max()), float(sub.mean()), float(sub.std()))
        k = min(top, len(sub))
        picks.append(cand[np.argpartition(-sub, k - 1)[:k]] if k else cand[:0])
    short = np.concatenate(picks)
    short = np.concatenate([[p], np.setdiff1d(short, [p])])
    ranks = {name: rank_of(sc, ids, p, mask) for name, sc in terms.items()}
    return Snapshot(u, n_before, ids[short], {n: v[short] for n, v in terms.items()}, ranks, stats)


def _positions(ids: np.ndarray, films: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(ids) == 0:
        return np.zeros(len(films), np.int64), np.zeros(len(films), bool)
    pos = np.searchsorted(ids, films).clip(0, len(ids) - 1)
    return pos, ids[pos] == films


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="event", desc="replay", mininterval=0.5)
