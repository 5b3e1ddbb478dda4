"""Prequential replay ("test, then learn"): how good the recommendations are, on a rating stream.

Protocol, exactly:

1. Sort the ratings by timestamp, ties kept in file order.
2. Walk the stream one *second* at a time: the events sharing a timestamp are scored against the
   state from strictly before that second (history, models, taste vectors, per-user weights),
   then all of them are learned, in file order (``keep_file_order`` scores and learns one event
   at a time instead, as the stream was walked before; the report says which).
3. An event (user, film, stars) is *eligible* when the user already has at least
   ``MIN_HISTORY`` (5) earlier ratings, ``stars >= 4`` and the film is not one they rated
   before (a re-rated film can never be recommended, so it is never a hit or a miss).
4. Eligible events at or after ``evaluate_from`` (every N-th, ``every``) are *evaluated*: each
   model's top 10 among all catalogue films the user had not rated before that second; HR@10,
   NDCG@10 (``1 / log2(rank + 1)``), coverage and novelty (``report``). Ranks follow
   ``ranker``'s tie rule: scores rounded to ``SCORE_DECIMALS`` places, then the lower film id.
5. Every event is learned, evaluated or not.

``evaluate_from`` is the honest cut: settings tuned on a stream's first part are reported on the
rest only (``cinesync replay`` defaults to the shipped settings' tuning cut, ``TUNED_SPLIT``).

Everything runs in memory through the code the service runs (``ensemble.Scorer``, the base models,
the film vectors, ``user_model.UserModel``), so the figures describe the product. ``cinesync``'s
per-user weights are learned on *every* eligible event, so ``every`` thins the evaluation only.

Models (``model_names()``): ``seed`` (the original design), ``content`` (the taste vector against
the content vectors alone, the seed's film vectors done properly), each term alone (every
registered base model and ``personal``: the taste vector against the collaborative + content film
vectors, ``core.item_vectors``), ``collaborative`` (the fixed blend of the base models),
``blend`` (the fixed blend with the personal term) and ``cinesync`` (``blend`` with per-user
weights learned online).

Time (docs/time_and_drift.md): ``settings.half_life_days`` folds the taste vectors with the
recency half-life (each event learned at its timestamp); ``settings.context_weight`` adds the
user's time-of-day/day-of-week context (``core.timecontext``, learned from their own earlier
ratings) to ``blend`` and ``cinesync``; ``drift_half_life_days`` reacts to drift: while a user is
drifting (``core.drift`` on their history so far) their personal term uses a taste vector folded
with that shorter half-life. ``drift_flags`` receives, per evaluated event, whether its user was
drifting then (so a study can report drifting and stable users apart).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from personalization.config import ModelSettings
from personalization.core import drift, signals
from personalization.core.base_models import REGISTRY, BaseModel
from personalization.core.catalogue import Catalogue
from personalization.core.ensemble import (
    PERSONAL,
    ContentScores,
    Scorer,
    UserWeights,
    blend,
    learn_weights,
    make_base_models,
    make_item_vectors,
    prior_weights,
)
from personalization.core.item_vectors import ItemVectors
from personalization.core.ranker import SCORE_DECIMALS, rank_of, top_k
from personalization.core.timecontext import ContextProfile, genre_matrix
from personalization.core.user_model import OnlineUserModel, UserModel
from personalization.evaluation.positions import Positions, popularity_ranks, positions, progress_bar
from personalization.evaluation.refit_ahead import RefitAhead
from personalization.evaluation.report import BUCKETS, K, ModelResult, ReplayReport, Tally, bucket_of
from personalization.evaluation.snapshot import Snapshot, snapshot
from personalization.evaluation.stream import Stream, load_stream, same_second_groups
from personalization.evaluation.time_variants import TimeVariant, TimeVariants

__all__ = [
    "Stream",
    "ModelResult",
    "ReplayReport",
    "Snapshot",
    "load_stream",
    "run_replay",
    "fit_scorer",
    "model_names",
    "BLENDS",
    "CONTENT",
    "DEFAULT_MODELS",
    "BUCKETS",
    "K",
    "MIN_HISTORY",
    "MIN_STARS",
    "TUNED_SPLIT",
]

MIN_HISTORY = 5
MIN_STARS = 4.0
TUNED_SPLIT = 0.5  # the shipped settings were tuned on the first half of a stream (docs/tuning.md)
CONTENT = "content"
BLENDS = ("collaborative", "blend", "cinesync")
DEFAULT_MODELS = ("popularity", "seed", "cinesync")
DRIFT_SPAN = 200  # the replay's drift check reads a user's last 200 ratings


def model_names() -> tuple[str, ...]:
    """What the replay can compare: the seed baseline, the content-only taste vector, each term
    alone (every registered base model, then the personal term) and the three blends."""
    return ("seed", CONTENT, *REGISTRY, PERSONAL, *BLENDS)


def item_vectors_for(catalogue: Catalogue, settings: ModelSettings | None = None) -> ItemVectors | None:
    """The personal term's film vectors for a catalogue (collaborative once fitted + content);
    None when ``settings.film_factors`` is 0 (the content vectors alone)."""
    return make_item_vectors(catalogue, settings or ModelSettings())


def fit_scorer(stream: Stream, settings: ModelSettings | None = None) -> Scorer:
    """A ``Scorer`` with the default blend's base models and the film vectors fitted on the
    whole stream at once (what the service holds after start-up); for benchmarks and tests."""
    settings = settings or ModelSettings()
    catalogue = Catalogue.build(stream.films, settings.dim)
    models = make_base_models(settings)
    for model in models.values():
        model.fit(stream.ratings)
    vectors = item_vectors_for(catalogue, settings)
    return Scorer(catalogue, models, settings, item_vectors=vectors.fit(stream.ratings) if vectors else None)


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
    keep_file_order: bool = False,
    record: list | None = None,
    record_top: int = 100,
    trace: list | None = None,
    drift_half_life_days: float = 0.0,
    drift_flags: list | None = None,
    variants: Sequence[TimeVariant] = (),
) -> ReplayReport:
    """Replay ``stream`` through ``models`` (see the module docstring for the protocol).

    ``evaluate_from``: learn from every event but evaluate only events at or after this index.
    ``record``: receives one ``Snapshot`` per evaluated event (each term's scores on the union of
    the terms' ``record_top`` best films), so ``tune`` can try blends without replaying.
    ``trace``: receives ``(event index, {model: rank})`` per evaluated event.
    ``drift_half_life_days`` / ``drift_flags``: see the module docstring (time).
    ``variants``: time variants of the personal term, reported as extra models
    (``evaluation.time_variants``).
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
    replay = _Replay(stream, list(dict.fromkeys(models)), every, settings, evaluate_from, variants)
    replay.record, replay.record_top, replay.trace = record, record_top, trace
    if drift_half_life_days < 0:
        raise ValueError("drift_half_life_days must be >= 0")
    replay.react_to_drift(drift_half_life_days, drift_flags)
    try:
        return replay.run(progress, keep_file_order)
    finally:
        replay.ahead.close()


class _Replay:
    def __init__(
        self,
        stream: Stream,
        models: list[str],
        every: int,
        settings: ModelSettings,
        evaluate_from: int,
        variants: Sequence[TimeVariant] = (),
    ):
        self.stream, self.models, self.every, self.settings = stream, models, every, settings
        self.evaluate_from = evaluate_from
        cat = self.catalogue = Catalogue.build(stream.films, settings.dim)
        self.prior = prior_weights(settings)
        # a variant needs the personal term's film vectors, and its blend the blend's terms
        needed = [
            *models,
            *([PERSONAL] if variants else []),
            *(["blend"] if any(v.with_blend for v in variants) else []),
        ]
        self.term_names = sorted(set().union(*(_terms_for(m, self.prior) for m in needed)))
        base_names = [t for t in self.term_names if t != PERSONAL]
        vectors = item_vectors_for(cat, settings) if PERSONAL in self.term_names else None
        self.scorer = Scorer(cat, make_base_models(settings, base_names), settings, item_vectors=vectors)
        rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate, settings.half_life_days)
        self.users = OnlineUserModel(rule, lambda f: self.scorer.film_vector(self._pos(f)))
        self.users.version = lambda: self.scorer.vectors_version
        self.variants: TimeVariants | None = None
        if variants:
            self.variants = TimeVariants(variants, settings, self.users.item_vector, self.users.version)
            self.models = [*models, *self.variants.models]
        self.context: ContextProfile | None = None
        wants_context = settings.context_weight > 0 or (self.variants is not None and self.variants.context)
        if wants_context and stream.ratings.timestamps is not None:
            self.context = ContextProfile(genre_matrix([tuple(f.genres) for f in cat.films]))
        self.film_genres = [tuple(f.genres) for f in cat.films]
        self.drifting_users: OnlineUserModel | None = None  # the shorter half-life, while drifting
        self.drift_flags: list | None = None
        self.now: float | None = None  # the current second's timestamp
        self.content: OnlineUserModel | None = None
        if CONTENT in models:  # the seed's film vectors: content alone
            self.content = OnlineUserModel(rule, lambda f: cat.matrix[self._pos(f)])
            self.content_scores = ContentScores(cat.matrix)
        self.seed: Any = None
        if "seed" in models:
            from personalization.evaluation.seed import Seed

            self.seed = Seed(stream.films, settings.dim)
        self.seconds: defaultdict[str, float] = defaultdict(float)  # per term and per model
        self.tally = Tally(len(cat))
        self.record: list | None = None
        self.record_top = 100
        self.trace: list | None = None
        learners: dict[str, BaseModel | ItemVectors] = dict(self.scorer.base_models)
        if vectors is not None:
            learners[PERSONAL] = vectors
        self.learners = learners
        self.ahead = RefitAhead(stream.ratings, learners)
        self.blended = [t for t in self.term_names if t == PERSONAL or self.prior.base_weights.get(t, 0) > 0]

    def react_to_drift(self, half_life_days: float, flags: list | None) -> None:
        self.drift_flags = flags
        if half_life_days > 0 and PERSONAL in self.term_names:
            s = self.settings
            rule = UserModel(s.dim, s.learning_rate, s.strong_learning_rate, half_life_days)
            self.drifting_users = OnlineUserModel(rule, self.users.item_vector)
            self.drifting_users.version = self.users.version

    def _drifting(self, hist: dict[int, float]) -> bool:
        """Whether the user's history so far (time order) is drifting (``core.drift``); only the
        last ``DRIFT_SPAN`` ratings are read, to keep the replay linear."""
        if len(hist) < 2 * drift.RECENT:
            return False
        recent = list(hist.items())[-DRIFT_SPAN:]
        return drift.detect([(self.film_genres[self._pos(f)], s) for f, s in recent]).drifting

    def _pos(self, film: int) -> int:
        pos = self.catalogue.position(film)
        if pos is None:
            raise KeyError(film)
        return pos

    def run(self, progress: bool, keep_file_order: bool) -> ReplayReport:
        r = self.stream.ratings
        cat = self.catalogue
        pos_all, known = positions(cat.ids, r.films)
        if not known.all():
            missing = np.unique(r.films[~known])[:5].tolist()
            raise ValueError(f"ratings name films missing from the film list, e.g. {missing}")
        ids = cat.ids
        history: dict[int, dict[int, float]] = defaultdict(dict)
        hist_pos: dict[int, Positions] = defaultdict(Positions)  # each user's rated films
        weights: dict[int, UserWeights] = {}
        counts = np.zeros(len(ids), np.int64)  # ratings per film so far (novelty)
        learn = "cinesync" in self.models and self.settings.ensemble_rate > 0
        blended = self.blended
        eligible = evaluated = 0
        bar = progress_bar(len(r), progress)
        users, films, stars = r.users.tolist(), r.films.tolist(), r.stars.tolist()
        times: list[float] | None = r.timestamps.tolist() if r.timestamps is not None else None
        watch_drift = self.drifting_users is not None or self.drift_flags is not None
        watch_drift = watch_drift or (self.variants is not None and self.variants.watch_drift)
        drifting: dict[int, bool] = {}
        for start, stop in same_second_groups(self.stream, keep_file_order):
            self.now = times[start] if times is not None else None
            # 1. score every event of this second against the state from before it
            state: dict[int, tuple[dict[str, np.ndarray], np.ndarray]] = {}
            in_second: defaultdict[int, set[int]] = defaultdict(set)
            jobs = []
            popularity = None
            for i in range(start, stop):
                u, f, s, p = users[i], films[i], stars[i], int(pos_all[i])
                hist = history[u]
                n_before = len(hist)
                fresh = f not in hist and f not in in_second[u]
                in_second[u].add(f)
                if not (n_before >= MIN_HISTORY and s >= MIN_STARS and fresh):
                    continue
                evaluate = i >= self.evaluate_from and eligible % self.every == 0
                eligible += 1
                if not (evaluate or learn):
                    continue
                if u not in state:
                    mask = np.ones(len(ids), bool)  # the candidates: films not rated before
                    mask[hist_pos[u].view()] = False
                    if watch_drift:
                        drifting[u] = self._drifting(hist)
                    terms = self._terms(u, hist, n_before, drifting.get(u, False))
                    if self.variants is not None:
                        terms.update(self.variants.terms(self.scorer, u, hist, n_before, drifting.get(u, False)))
                    state[u] = (terms, mask)
                terms, mask = state[u]
                uw = weights.get(u, self.prior)
                if evaluate:
                    evaluated += 1
                    if popularity is None:
                        popularity = popularity_ranks(counts)
                    ranks = self._evaluate(u, p, terms, uw, mask, popularity)
                    self.tally.buckets.append(bucket_of(n_before))
                    if self.drift_flags is not None:
                        self.drift_flags.append(drifting.get(u, False))
                    if self.trace is not None:
                        self.trace.append((i, ranks))
                    if self.record is not None:
                        self.record.append(snapshot(u, p, n_before, terms, mask, ids, self.record_top))
                if learn:
                    jobs.append((u, p, {t: terms[t] for t in blended if t in terms}, mask))
            # 2. then learn them all, in file order
            for u, p, present, mask in jobs:
                t0 = time.perf_counter()
                uw = weights.get(u, self.prior)
                weights[u] = learn_weights(present, ids, p, mask, uw, self.prior, self.settings)
                self.seconds["cinesync"] += time.perf_counter() - t0
            for i in range(start, stop):
                u, f, s, p = users[i], films[i], stars[i], int(pos_all[i])
                self._learn(u, f, s, times[i] if times is not None else None)
                hist = history[u]
                if f in hist:
                    del hist[f]
                else:
                    hist_pos[u].add(p)
                hist[f] = s
                counts[p] += 1
            if bar is not None and (stop // 1000) > (start // 1000):
                bar.update(stop - bar.n)
        if bar is not None:
            bar.update(len(r) - bar.n)
            bar.close()
        return self._report(eligible, evaluated, keep_file_order)

    def _terms(self, u: int, hist: dict[int, float], n_before: int, drifting: bool = False) -> dict[str, np.ndarray]:
        out = {}
        users = self.drifting_users if drifting and self.drifting_users is not None else self.users
        vector = users.vector(u) if PERSONAL in self.term_names else None
        personalised = self.scorer.personalised(n_before, vector)
        for name in self.term_names:
            if name == PERSONAL and not personalised:
                continue
            t0 = time.perf_counter()
            out.update(self.scorer.terms(hist, vector, [name], user=u))
            self.seconds["term:" + name] += time.perf_counter() - t0
        return out

    def _scores(self, model: str, u: int, terms: dict, uw: UserWeights, mask: np.ndarray) -> np.ndarray:
        ids = self.catalogue.ids
        if model == "seed":
            return np.asarray(self.seed.score_user(u, ids))
        if model == CONTENT and self.content is not None:
            return np.asarray(self.content_scores(self.content.vector(u)))
        if self.variants is not None:
            context = self.context.scores(u, self.now) if self.context is not None else None
            scored = self.variants.scores(model, terms, self.prior, mask, context)
            if scored is not None:
                return scored
        if model in terms:
            return terms[model]
        if model == PERSONAL or model in REGISTRY:
            return np.zeros(len(ids))  # the term had nothing to say (e.g. no taste vector)
        if model == "collaborative":
            return blend(terms, UserWeights(0.0, self.prior.base_weights), mask, False)[0]
        scores = blend(terms, self.prior if model == "blend" else uw, mask)[0]
        use_context = self.context is not None and self.settings.context_weight > 0
        context = self.context.scores(u, self.now) if self.context is not None and use_context else None
        if context is not None:  # the mild time-of-day / day-of-week re-rank
            scores = scores + self.settings.context_weight * context
        return scores

    def _evaluate(
        self, u: int, p: int, terms: dict, uw: UserWeights, mask: np.ndarray, popularity: np.ndarray
    ) -> dict[str, int]:
        ids = self.catalogue.ids
        cand = np.flatnonzero(mask)
        ranks = {}
        for model in self.models:
            t0 = time.perf_counter()
            scores = self._scores(model, u, terms, uw, mask)
            rank = rank_of(scores, ids, p, mask)
            self.seconds[model] += time.perf_counter() - t0
            picks = cand[top_k(scores[cand], ids[cand], K)]
            self.tally.add(model, rank, picks, popularity[picks])
            ranks[model] = rank
        return ranks

    def _learn(self, u: int, f: int, s: float, at: float | None = None) -> None:
        for name, model in self.learners.items():
            t0 = time.perf_counter()
            model.learn_one(u, f, s)
            if model.stale:
                self.ahead.refit(name, model)
            self.seconds["term:" + name] += time.perf_counter() - t0
        strength = signals.stars_strength(s)
        if PERSONAL in self.term_names:
            t0 = time.perf_counter()
            self.users.learn_one(u, f, strength, at)
            if self.drifting_users is not None:
                self.drifting_users.learn_one(u, f, strength, at)
            self.seconds["term:" + PERSONAL] += time.perf_counter() - t0
        if self.variants is not None:
            self.variants.learn_one(u, f, strength, at)
        if self.context is not None:
            self.context.learn_one(u, self._pos(f), at, s)
        if self.content is not None:
            t0 = time.perf_counter()
            self.content.learn_one(u, f, strength, at)
            self.seconds[CONTENT] += time.perf_counter() - t0
        if self.seed is not None:
            t0 = time.perf_counter()
            self.seed.learn_one(u, f, s)
            self.seconds["seed"] += time.perf_counter() - t0

    def _report(self, eligible: int, evaluated: int, keep_file_order: bool) -> ReplayReport:
        results, by_count = [], []
        for model in self.models:
            secs = self.seconds[model] + sum(self.seconds["term:" + t] for t in _terms_for(model, self.prior))
            results.append(self.tally.result(model, secs))
            by_count += self.tally.by_bucket(model)
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
            "same_second": "file order (labelled)"
            if keep_file_order
            else "scored on the state before, learned together",
            "order": "timestamp, ties in file order",
            "ties": f"scores rounded to {SCORE_DECIMALS} decimals, then the lower film id",
            "candidates": "all films the user has not rated before the event's second",
            "skipped": "films the user already rated",
            "half_life_days": self.settings.half_life_days,
            "context_weight": self.settings.context_weight if self.context is not None else 0.0,
            "drift_half_life_days": self.drifting_users.rule.half_life_days if self.drifting_users else 0.0,
        }

        return ReplayReport(protocol, results, by_count)
