"""Why each pick was made: short English reasons, true of the scores that made it.

Two levels. ``reasons`` / ``reason`` (pure, cheap) read a pick's ``personal`` and ``base`` parts
and the history; they are the fallback. ``Explainer`` measures: it scores the film with the whole
history and again with each history film left out (through ``ensemble.Scorer``, the code that
ranked it), so every film it names moved the score as stated (``core.reasons``). ``explain``
gives one film's full breakdown; ``annotate`` rewrites the reasons of ``recommend``'s picks.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from personalization.core import reasons as reasons_core
from personalization.core import signals as signals_core
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import PERSONAL, Scorer, UserWeights, normalise
from personalization.core.preferences import PreferenceProfile
from personalization.core.ranker import ScoredFilm, rank_of
from personalization.core.reasons_explanation import Explanation, HistoryEffect, TermPart
from personalization.errors import CineSyncError, UnknownUser
from personalization.service.engine import Engine, strength_of
from personalization.service.results import Recommendations, check_film_id, check_user_id
from personalization.storage.repository import Repository
from personalization.storage.rows import EffectiveSignal

if TYPE_CHECKING:
    from personalization.service.reads import Reads  # reads imports this module

__all__ = [
    "reasons",
    "reason",
    "Explainer",
    "Explanation",
    "AlreadySeen",
    "TermPart",
    "HistoryEffect",
    "LIKED_STARS",
    "NO_SIGNAL",
    "POPULAR",
    "LIKED_BY_OTHERS",
]

LIKED_STARS = 4.0  # a film rated (or loved/liked to the same strength) 4 stars or more is "liked"
CLOSE = 0.5  # a personal part at least this large is "close to your taste"

NO_SIGNAL = "nothing sets it apart yet (fills the list)"
POPULAR = "popular with other members"
LIKED_BY_OTHERS = "liked by other members"
TASTE = "matches your taste profile"


def reason(item: ScoredFilm, *, personalised: bool, has_history: bool, liked_closest: str | None = None) -> str:
    """The reason for one pick. ``liked_closest``: the label of the film the user liked whose
    content is most like this pick's (None when they liked none, or none is alike)."""
    if item.score <= 0.0:
        return NO_SIGNAL  # the lowest of the candidates on every term: no reason to claim one
    if personalised and item.personal >= item.base:
        return f"because you liked {liked_closest}" if liked_closest else TASTE
    others = LIKED_BY_OTHERS if has_history else POPULAR
    if personalised and item.personal >= CLOSE:
        return f"{others}, and close to your taste"
    return others


def reasons(
    catalogue: Catalogue, items: Sequence[ScoredFilm], taste: Mapping[int, float], *, personalised: bool
) -> list[str]:
    """A reason per pick. ``taste``: the user's effective signal per film, in stars (``History.taste``)."""
    liked = catalogue.positions([f for f, stars in taste.items() if stars >= LIKED_STARS])
    closest: list[str | None] = [None] * len(items)
    if personalised and len(liked) and items:
        picks = catalogue.positions([s.film_id for s in items])
        sims = catalogue.matrix[liked] @ catalogue.matrix[picks].T  # liked x picks cosines
        best = np.argmax(sims, axis=0)
        closest = [catalogue.films[liked[b]].label if sims[b, j] > 0 else None for j, b in enumerate(best)]
    return [
        reason(item, personalised=personalised, has_history=bool(taste), liked_closest=c)
        for item, c in zip(items, closest)
    ]


# -- the scores' own explanation: leave-one-out through the scorer ------------------------------

MAX_EXPLAIN_FILMS = 100  # ``explain``: the history films (newest first) whose effect is measured
MAX_PICK_FILMS = 3  # ``annotate``: the liked films measured for a list of picks (each costs a rescoring)
RECENT_FILMS = 2  # ... always including the newest ones (the sequence and ALS models read them)
SHOWN_FILMS = 10  # ``explain``: the films with the largest effect (either sign) shown


class AlreadySeen(CineSyncError):
    """The film to explain is one the user rated or reacted to: it is never picked for them."""

    def __init__(self, user_id: int, film: Film):
        super().__init__(
            f"user {user_id} has already rated or reacted to {film.label}: picks never include such "
            "films; explain a film they have not rated (one of `cinesync recommend`'s picks)"
        )
        self.user_id, self.film = user_id, film


@dataclass
class _User:
    """What the scores are computed from: signals (oldest first), the history, the weights."""

    user_id: int
    signals: list[EffectiveSignal]
    history: signals_core.History
    weights: UserWeights


class _Measured:
    """The terms' parts at some picks with the whole history, and each measured film's effect."""

    def __init__(self, full: reasons_core.Terms, shares: dict[str, float], parts: dict[str, NDArray[np.float64]]):
        self.full, self.shares, self.parts = full, shares, parts
        self.personalised = PERSONAL in shares
        self.effects: dict[int, dict[str, NDArray[np.float64]]] = {}

    def contributions(self, j: int, cat: Catalogue, signals: Mapping[int, EffectiveSignal], taste: Mapping[int, float]):
        out = []
        for film_id, diff in self.effects.items():
            film, signal = cat.get(film_id), signals.get(film_id)
            if signal is None:  # the history was read after a write the signals missed: skip it
                continue
            by_term = {t: float(v[j]) for t, v in diff.items() if abs(float(v[j])) > 0}
            out.append(
                reasons_core.Contribution(
                    film_id,
                    film.label if film else str(film_id),
                    taste.get(film_id),
                    signal.kind,
                    float(sum(by_term.values())),
                    by_term,
                )
            )
        return out


def said_key(user: _User, filters: tuple[Any, ...], ids: Sequence[int]) -> tuple[int, bytes]:
    """What ``annotate``'s reasons are kept under: the user and a 16-byte digest of everything
    they were written from (signals, weights, filters, picks). A key holding the signals
    themselves grew with the history: 2,048 kept lists of users with a few hundred signals were
    tens of MB, the soak's growth."""
    w = user.weights
    written_from = (
        tuple((s.film_id, s.stars, s.kind, s.at) for s in user.signals),
        (w.personal_weight, tuple(sorted(w.base_weights.items()))),
        filters,
        tuple(ids),
    )
    return user.user_id, hashlib.blake2b(repr(written_from).encode(), digest_size=16).digest()


class Explainer:
    """Explains picks from their scores (``explain``) and writes the reasons of ``recommend``'s
    picks (``annotate``). ``profile``: the service's cached taste-profile read."""

    def __init__(self, engine: Engine, repo: Repository, reads: Reads):
        self.engine, self.repo, self.reads = engine, repo, reads
        self._blind_models: tuple[Scorer | None, frozenset[str]] = (None, frozenset())

    def _blind(self, scorer: Scorer, full: reasons_core.Terms) -> frozenset[str]:
        """The base models whose scores ignore the history (popularity, trending): found once
        per scorer, by scoring an empty history, and never scored again without a film."""
        held, names = self._blind_models
        if held is not scorer:
            empty = scorer.terms({}, None, names=list(scorer.base_models))
            names = frozenset(m for m in scorer.base_models if m in full and np.array_equal(empty[m], full[m]))
            self._blind_models = (scorer, names)
        return names

    def _user(self, user_id: int) -> _User:
        with self.repo.session() as session:
            found = session.effective_signals(user_id)
            exists = bool(found) or session.user_exists(user_id)
        if not exists:
            raise UnknownUser(user_id)
        history, weights = self.reads.history_and_weights(user_id)  # the weights recommend ranks with
        return _User(user_id, found, history, self.engine.ranking_weights(weights))

    def _imagined(self, user_id: int, extra: Mapping[int, float]) -> _User:
        """The user as ``Reads.what_if`` imagines them: their signals with ``extra`` ({film:
        stars}) rated last, in place of any earlier signal on those films; their stored weights."""
        with self.repo.session() as session:
            stored = [s for s in session.effective_signals(user_id) if s.film_id not in extra]
            rows = [r for r in session.history(user_id) if r[0] not in extra]
            weights = self.engine.user_weights(session.model_weights(user_id))
        now = datetime.now(UTC)
        found = stored + [EffectiveSignal(f, s, None, now) for f, s in extra.items()]
        history = signals_core.History.from_rows([*rows, *((f, s, None) for f, s in extra.items())])
        return _User(user_id, found, history, self.engine.ranking_weights(weights))

    def _measure(
        self, user: _User, mask: NDArray[np.bool_], positions: NDArray[np.int64], films: Sequence[int]
    ) -> _Measured:
        """The parts at ``positions`` and, for each of ``films``, the parts without it."""
        engine = self.engine
        scorer = engine.scorer()
        cat = scorer.catalogue
        events = []  # (film, its vector, strength, time), oldest first
        for s in user.signals:
            pos = cat.position(s.film_id)
            if pos is not None:
                events.append((s.film_id, scorer.film_vector(pos), strength_of(s.stars, s.kind), s.at.timestamp()))
        taste, n = user.history.taste, user.history.n_signals
        # The taste vector after each event (the fold of the first k, as ``UserModel.rebuild``):
        # leaving out event i replays only the events after it, from the vector before it.
        rule, items = engine.rule, reasons_core.float_items([x for _, x, _, _ in events])
        strengths, times = [w for _, _, w, _ in events], [at for _, _, _, at in events]
        folded = reasons_core.fold_prefixes(rule, items, strengths, times)
        index = {f: i for i, (f, _, _, _) in enumerate(events)}
        vector = folded[-1].astype(np.float32)
        personalised = scorer.personalised(n, vector)
        # ``user``: the models' running scores of this history (the ranking just used them)
        full = scorer.terms(taste, vector if personalised else None, user=user.user_id)
        depends = [m for m in scorer.base_models if m not in self._blind(scorer, full)]
        out = _Measured(
            full,
            reasons_core.term_shares(full, user.weights, personalised),
            reasons_core.term_parts(full, user.weights, mask, positions, personalised),
        )
        for film_id in films:
            i = index.get(film_id)
            rest_vector = vector
            if i is not None:
                after = slice(i + 1, None)
                previous = times[i - 1] if i else None
                rest = reasons_core.fold_from(rule, folded[i], previous, items[after], strengths[after], times[after])
                rest_vector = rest.astype(np.float32)
            rest_personal = scorer.personalised(n - 1, rest_vector)
            names = [PERSONAL, *depends] if film_id in taste else [PERSONAL]
            rest_taste = {f: s for f, s in taste.items() if f != film_id} if film_id in taste else taste
            terms = {m: full[m] for m in scorer.base_models if m in full}
            terms.pop(PERSONAL, None)
            terms.update(scorer.terms(rest_taste, rest_vector if rest_personal else None, names=names))
            without = reasons_core.term_parts(terms, user.weights, mask, positions, rest_personal)
            out.effects[film_id] = reasons_core.leave_one_out(out.parts, without)
        return out

    def _profile(self, user: _User) -> PreferenceProfile | None:
        if not user.history.rated:
            return None
        try:
            return self.reads.profile(user.user_id)
        except UnknownUser:  # ``what_if`` for someone with nothing stored: no profile to cite
            return None

    def _reasons(
        self,
        film: Film,
        contributions: list[reasons_core.Contribution],
        parts: Mapping[str, float],
        profile: PreferenceProfile | None,
    ) -> tuple[list[str], list[reasons_core.Feature]]:
        features = reasons_core.pick_features(film.genres, film.directors, profile)
        cat = self.engine.catalogue()
        having: dict[str, list[int]] = {}
        for c in contributions:
            f = cat.get(c.film_id)
            for name in (*f.genres, *f.directors) if f else ():
                having.setdefault(name, []).append(c.film_id)
        return reasons_core.pick_reasons(contributions, features, having, parts), features

    def explain(self, user_id: Any, film_id: Any) -> Explanation:
        """The film's score for the user, term by term, the history films that moved it most
        (measured by leaving each out) and the reasons that follow."""
        user_id, film_id = check_user_id(user_id), check_film_id(film_id)
        engine = self.engine
        film = engine.catalogue().get(film_id)
        if film is None:
            engine.film_vector(film_id)  # re-reads the catalogue once; unknown: UnknownFilm
            film = engine.catalogue().get(film_id)
            assert film is not None
        user = self._user(user_id)
        if film_id in user.history.seen:
            raise AlreadySeen(user_id, film)
        cat = engine.scorer().catalogue
        pos = cat.position(film_id)
        assert pos is not None
        mask = np.ones(len(cat), dtype=bool)
        if user.history.seen:
            mask[cat.positions(list(user.history.seen))] = False
        newest = [s.film_id for s in reversed(user.signals) if s.film_id in user.history.seen]
        films = newest[:MAX_EXPLAIN_FILMS]
        measured = self._measure(user, mask, np.array([pos]), films)
        parts = {t: float(v[0]) for t, v in measured.parts.items()}
        contributions = measured.contributions(0, cat, {s.film_id: s for s in user.signals}, user.history.taste)
        why, features = self._reasons(film, contributions, parts, self._profile(user))
        if not why:
            item = ScoredFilm(film_id, sum(parts.values()), parts.get(PERSONAL, 0.0), 0.0)
            why = [reason(item, personalised=measured.personalised, has_history=bool(user.history.taste))]
        shares = measured.shares
        terms = [TermPart(t, shares[t], parts[t] / shares[t] if shares[t] else 0.0, parts[t]) for t in parts]
        terms.sort(key=lambda t: -t.part)
        final = np.zeros(len(cat))
        for t, share in shares.items():  # the whole blend once more, for the film's rank
            final += share * normalise(measured.full[t], mask)
        signals = {s.film_id: s for s in user.signals}
        effects = sorted(contributions, key=lambda c: (-abs(c.total), c.film_id))[:SHOWN_FILMS]
        history = [
            HistoryEffect(
                cat.get(c.film_id) or film,
                user.history.rated.get(c.film_id),
                signals[c.film_id].kind,
                c.total,
                dict(c.by_term),
            )
            for c in effects
        ]
        return Explanation(
            user_id,
            film,
            "personal" if measured.personalised else "base",
            float(sum(parts.values())),
            rank_of(final, cat.ids, pos, mask),
            int(mask.sum()),
            terms,
            history,
            len(films),
            user.history.n_signals,
            features,
            why,
            engine.served_version_id,
        )

    def annotate(
        self,
        recs: Recommendations,
        *,
        genre: str | None = None,
        decade: int | None = None,
        mood: str | None = None,
        imagined: Mapping[Any, Any] | None = None,
    ) -> Recommendations:
        """``recs`` (``Reads.recommend``'s, for the same filters; ``Reads.what_if``'s with its
        ``imagined`` ratings) with each pick's reason written from its scores: up to three reasons
        joined by "; ". A pick for which the measured films show none gets a reason that names no
        film (``reason``)."""
        from personalization.service.reads import filter_mask  # reads imports this module at load

        if not recs.items or not recs.n_ratings:
            return recs
        if imagined:
            extra = {check_film_id(f): signals_core.check_stars(v) for f, v in imagined.items()}
            user = self._imagined(recs.user_id, extra)
        else:
            try:
                user = self._user(recs.user_id)
            except UnknownUser:  # forgotten since the ranking: its picks keep the ranking's reasons
                return recs
        scorer = self.engine.scorer()
        cat = scorer.catalogue
        ids = [r.film.id for r in recs.items]
        # The same picks from the same signals, weights, filters and models: the same reasons
        # (the dashboard asks again at every click). Kept in the engine's byte budget.
        key = said_key(user, (genre, decade, mood), ids)
        held = self.engine.reasons.get(key)
        if held is not None and held[0]() is scorer:
            return replace(recs, items=[replace(r, reason=t) for r, t in zip(recs.items, held[1])])
        positions = cat.positions(ids)
        if len(positions) != len(ids):
            return recs  # the catalogue changed under the ranking: keep its reasons
        mask = filter_mask(cat, genre, decade, self.reads.mood_mask(cat, mood))
        if user.history.seen:
            mask[cat.positions(list(user.history.seen))] = False
        measured = self._measure(user, mask, positions, self._liked_films(user, cat, positions))
        profile = self._profile(user)
        signals = {s.film_id: s for s in user.signals}
        items = []
        for j, rec in enumerate(recs.items):
            parts = {t: float(v[j]) for t, v in measured.parts.items()}
            contributions = measured.contributions(j, cat, signals, user.history.taste)
            why, _ = self._reasons(rec.film, contributions, parts, profile)
            if not why:  # nothing measured stands out: a reason that names no film
                item = ScoredFilm(rec.film.id, rec.score, rec.personal, rec.base)
                why = [reason(item, personalised=measured.personalised, has_history=bool(user.history.taste))]
            items.append(replace(rec, reason="; ".join(why)))
        # the scorer held weakly: a kept list does not keep superseded models in memory
        if not imagined:  # a what-if is asked once and must leave every cache as it was
            self.engine.reasons.put(key, (weakref.ref(scorer), [r.reason for r in items]))
        return replace(recs, items=items)

    def _liked_films(self, user: _User, cat: Catalogue, picks: NDArray[np.int64]) -> list[int]:
        """The liked films whose effect on ``picks`` is measured: the newest few, then those whose
        content is closest to a pick's (reasons name liked films only)."""
        liked = [f for f, s in user.history.taste.items() if s >= reasons_core.LIKED and cat.position(f) is not None]
        if len(liked) <= MAX_PICK_FILMS:
            return liked
        recent, rest = liked[-RECENT_FILMS:], liked[:-RECENT_FILMS]
        sims = cat.matrix[cat.positions(rest)] @ cat.matrix[picks].T  # rest x picks cosines
        closest = np.argsort(-sims.max(axis=1), kind="stable")[: MAX_PICK_FILMS - len(recent)]
        return [*recent, *(rest[i] for i in closest)]
