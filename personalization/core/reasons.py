"""Why a pick was made, from the numbers that made it (pure: numpy, no I/O).

A pick's score is the blend of its terms (``ensemble.blend``): each term's scores are scaled over
the candidates and weighted, so the score is a sum of **parts**, one per term (``term_parts``).
A film in the user's history **contributes** to a pick by what the pick's score loses when that
film is left out of the history (the taste vector replayed without it, the base models scored
without it): ``score(full history) - score(history without the film)``, split by term
(``leave_one_out``). That difference is signed: a film the user disliked usually contributes
less than nothing.

``pick_reasons`` turns those numbers into at most three short sentences, each naming only what
the numbers show: a film it names is in the history, rated as the sentence says, and removing it
lowers the pick's score; a genre or director it names is in the user's taste profile with the
stated figure, and shared by a film that contributed through the taste vector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from personalization.core.ensemble import PERSONAL, UserWeights, normalise
from personalization.core.preferences import PreferenceProfile
from personalization.core.signals import is_strong
from personalization.core.user_model import UserModel, age_weight, elapsed_since

__all__ = [
    "Terms",
    "Contribution",
    "Feature",
    "term_shares",
    "term_parts",
    "leave_one_out",
    "pick_features",
    "pick_reasons",
    "float_items",
    "fold_prefixes",
    "fold_from",
    "LIKED",
    "LOVED",
    "MAX_REASONS",
    "TRENDING",
    "COLLABORATIVE",
]

Terms = Mapping[str, NDArray[np.floating]]  # a term's raw scores over the whole catalogue

LIKED = 4.0  # a film rated 4 stars or more (or liked) is "liked"
LOVED = 4.5  # 4.5 or 5 stars, or loved, is "loved"
MAX_REASONS = 3
TRENDING = "trending"
# Terms that read what other members rated together; the others are the personal term (content)
# and the history-blind popularity terms.
COLLABORATIVE = ("itemknn", "ease", "als", "sequence")
EPSILON = 1e-9  # a contribution smaller than this is noise, not a reason
MIN_ABOVE = 0.1  # a genre is named only when it is rated at least this many stars above the mean
MIN_TRENDING_SHARE = 0.2  # the trending part must be this share of the pick's score to be named


@dataclass(frozen=True)
class Contribution:
    """What one history film adds to a pick's score (signed), in all and by term."""

    film_id: int
    label: str
    signal_stars: float | None  # what the user told: the rating, or feedback read as stars (None: dislike, hate)
    kind: str | None  # the feedback kind when the signal is feedback
    total: float
    by_term: Mapping[str, float] = field(default_factory=dict)

    @property
    def personal(self) -> float:
        return float(self.by_term.get(PERSONAL, 0.0))

    @property
    def collaborative(self) -> float:
        return float(sum(v for t, v in self.by_term.items() if t in COLLABORATIVE))

    @property
    def liked(self) -> bool:
        return (self.signal_stars is not None and self.signal_stars >= LIKED) or self.kind in ("love", "like")

    @property
    def loved(self) -> bool:
        return (self.signal_stars is not None and self.signal_stars >= LOVED) or self.kind == "love"


@dataclass(frozen=True)
class Feature:
    """A feature of the pick that is in the user's taste profile."""

    field: str  # "genre" or "director"
    name: str
    n: int  # the user's rated films with it
    mean: float  # their mean stars on those films
    above_average: float  # mean - their mean over every rated film
    significance: float  # the profile's ranking figure (preferences.analyse)


def term_shares(terms: Terms, weights: UserWeights, personalised: bool) -> dict[str, float]:
    """Each term's weight in the blend exactly as ``ensemble.blend`` applies it: ``p`` and
    ``(1 - p) b_m`` when the personal term takes part, else ``b_m`` alone."""
    base = {m: float(b) for m, b in weights.base_weights.items() if b > 0 and m in terms}
    p = weights.personal_weight
    if not personalised or PERSONAL not in terms or p <= 0:
        return base
    return {PERSONAL: p, **{m: (1.0 - p) * b for m, b in base.items()}}


def term_parts(
    terms: Terms, weights: UserWeights, mask: NDArray[np.bool_], positions: NDArray[np.int64], personalised: bool
) -> dict[str, NDArray[np.float64]]:
    """Each term's weighted, scaled score at ``positions``; their sum is the blend's final score."""
    out: dict[str, NDArray[np.float64]] = {}
    for name, share in term_shares(terms, weights, personalised).items():
        out[name] = share * normalise(terms[name], mask)[positions]
    return out


def leave_one_out(
    full: Mapping[str, NDArray[np.float64]], without: Mapping[str, NDArray[np.float64]]
) -> dict[str, NDArray[np.float64]]:
    """Per term, the parts with the film minus the parts without it (a term missing on one side,
    such as the personal term of a vector left empty, counts as 0 there)."""
    names = list(dict.fromkeys([*full, *without]))
    some = next(iter(full.values()), next(iter(without.values()), np.zeros(0)))
    zero = np.zeros(len(some), np.float64)
    return {t: np.asarray(full.get(t, zero) - without.get(t, zero), np.float64) for t in names}


def _step(
    rule: UserModel, v: NDArray[np.float64], x: NDArray[np.float64], strength: float, elapsed: float
) -> NDArray[np.float64]:
    """``UserModel.step`` on a float64 copy of the float32 vector (the same arithmetic, and the
    same float32 result, without its per-call checks: the items were checked once)."""
    if strength == 0.0:
        return v
    lr = rule.strong_learning_rate if is_strong(strength) else rule.learning_rate
    updated = age_weight(elapsed, rule.half_life_days) * v + lr * strength * x
    norm = float(np.sqrt(updated.dot(updated)))
    if not np.isfinite(norm) or norm < 1e-12:
        return np.zeros_like(v)
    out: NDArray[np.float64] = (updated / norm).astype(np.float32).astype(np.float64)
    return out


Items = Sequence["NDArray[np.float64] | None"]  # film vectors as float64, None for a non-finite one


def float_items(items: Sequence[NDArray[np.floating]]) -> list[NDArray[np.float64] | None]:
    """The film vectors of a fold, checked once: float64 copies, None where the rule skips one."""
    return [np.asarray(x, np.float64) if np.all(np.isfinite(x)) else None for x in items]


def fold_prefixes(
    rule: UserModel, items: Items, strengths: Sequence[float], times: Sequence[float | None]
) -> list[NDArray[np.float64]]:
    """The taste vector after each of the first k events, k = 0..n (``rule.rebuild`` of the
    first k ``(item, strength, time)`` events, as float64 copies of its float32 vectors);
    ``items`` from ``float_items``."""
    out = [np.zeros(rule.dim, np.float64)]
    for k, (x, w) in enumerate(zip(items, strengths)):
        elapsed = elapsed_since(times[k - 1] if k else None, times[k])
        out.append(out[-1] if x is None else _step(rule, out[-1], x, w, elapsed))
    return out


def fold_from(
    rule: UserModel,
    start: NDArray[np.float64],
    previous: float | None,
    items: Items,
    strengths: Sequence[float],
    times: Sequence[float | None],
) -> NDArray[np.float64]:
    """Continue a fold from ``start`` (the vector after an event at time ``previous``)."""
    v = start
    for x, w, at in zip(items, strengths, times):
        if x is not None:
            v = _step(rule, v, x, w, elapsed_since(previous, at))
        previous = at
    return v


def pick_features(genres: Sequence[str], directors: Sequence[str], profile: PreferenceProfile | None) -> list[Feature]:
    """The pick's genres and directors that the profile lists as favourites (significance > 0)."""
    if profile is None or profile.mean_rating is None:
        return []
    mu = profile.mean_rating
    out = []
    for field_name, names, scores in (
        ("director", directors, profile.directors),
        ("genre", genres, profile.genres),
    ):
        wanted = set(names)
        for s in scores:
            if s.name in wanted and s.significance > 0:
                out.append(Feature(field_name, s.name, s.n, s.mean, s.mean - mu, s.significance))
    return out


def _names(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def pick_reasons(
    contributions: Sequence[Contribution],
    features: Sequence[Feature],
    feature_films: Mapping[str, Sequence[int]],
    parts: Mapping[str, float],
    *,
    limit: int = MAX_REASONS,
) -> list[str]:
    """At most ``limit`` reasons for one pick, strongest first (each weighed in score units).

    ``contributions``: the history films' contributions to this pick; ``features``: the pick's
    features in the profile (``pick_features``); ``feature_films``: for each feature's name, the
    history films that have it; ``parts``: the pick's part from each term.

    * "because you loved A and B": liked films that contributed mostly through the taste vector;
    * "people who liked A also liked this": a liked film that contributed mostly through the
      models of what members rate together;
    * "from D, one of your favourites" / "you rate G 0.8 stars above your average": a favourite
      feature of the pick, named only when a film of the history that has it contributed
      through the taste vector;
    * "rising: members have rated it a lot lately": the trending term is a large part of it.
    """
    positive = sorted((c for c in contributions if c.total > EPSILON and c.liked), key=lambda c: (-c.total, c.film_id))
    candidates: list[tuple[float, str]] = []
    by_taste = [c for c in positive if c.personal >= c.collaborative]
    by_others = [c for c in positive if c.personal < c.collaborative]
    if by_taste:
        named = by_taste[:2]
        verb = "loved" if all(c.loved for c in named) else "liked"
        candidates.append((sum(c.total for c in named), f"because you {verb} {_names([c.label for c in named])}"))
    if by_others:
        top = by_others[0]
        candidates.append((top.total, f"people who liked {top.label} also liked this"))
    through_taste = {c.film_id: c.personal for c in contributions if c.personal > EPSILON}
    said: set[str] = set()
    for feat in features:
        if feat.field in said:
            continue  # one director and one genre at most
        weight = sum(through_taste.get(f, 0.0) for f in feature_films.get(feat.name, ()))
        if weight <= EPSILON:
            continue
        if feat.field == "director":
            candidates.append((weight, f"from {feat.name}, one of your favourites"))
        elif round(feat.above_average, 1) >= MIN_ABOVE:
            candidates.append((weight, f"you rate {feat.name} {feat.above_average:.1f} stars above your average"))
        else:
            continue
        said.add(feat.field)
    score = sum(parts.values())
    trend = parts.get(TRENDING, 0.0)
    if score > EPSILON and trend >= MIN_TRENDING_SHARE * score:
        candidates.append((trend, "rising: members have rated it a lot lately"))
    candidates.sort(key=lambda c: -c[0])
    return [text for _, text in candidates[:limit]]
