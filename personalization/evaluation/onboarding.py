"""The onboarding simulation: which first cards teach the engine the most about a new member?

Protocol (in memory, through the code the service runs: ``core.onboarding.choose`` picks the
cards, ``ensemble.Scorer`` with the default base models and the content vectors ranks, the
taste vector is ``UserModel.rebuild`` of the answers, the weights are the tuned priors):

1. ``synthetic.generate`` makes users whose genre tastes are known (``SyntheticData.tastes``).
   ``members`` users with at least 5 films rated 4 stars or more are held out as *new members*;
   the base models and the cards' statistics are fitted on everybody else's ratings.
2. Each new member is shown one card at a time (the next card is chosen after each answer). They
   know a film with probability ``min(1, seen_scale x share of the other users who rated it x
   exp(1.2 z) / mean exp(1.2 z))`` (the generator's own "who rates what", scaled because people
   have seen more films than they rate) and skip it otherwise. A known film gets the stars of
   their true taste, the generator's formula without the unknown parts: ``2.2 + 0.9 z + noise
   (sd 0.55)``, rounded to half stars, where ``z`` is the member's standardised genre affinity
   for the film. (The generator's film quality, director loves and personal bias are not
   exposed, so the answers leave them out.)
3. After 5 and after 10 answers: the top 10 of every film the member has not answered; a *hit*
   when one of them is among their held-out liked films (the films they rated 4 stars or more in
   the generated data, less the ones they answered). HR@10 is the share of members with a hit.
   ``cards`` is how many cards were shown to get those answers (skips included).

Every arm sees the same members, the same knowledge draws and the same answer noise (both are
drawn once per member and film), so the differences are paired; the interval of each difference
is 95 % over members pooled across seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from personalization.config import ModelSettings
from personalization.core import onboarding
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import Scorer, UserWeights, make_base_models, prior_weights
from personalization.core.signals import stars_strength
from personalization.core.user_model import UserModel
from personalization.data.synthetic import GENRES, SyntheticData, generate

__all__ = ["Arm", "ARMS", "Sizes", "Outcome", "simulate", "compare", "format_table"]

K = 10
CHECKPOINTS = (5, 10)


@dataclass(frozen=True)
class Arm:
    """A way of choosing cards: a strategy, its parameters, and whether the member picks genres."""

    name: str
    strategy: str
    params: onboarding.Params = field(default_factory=onboarding.Params)
    genres: bool = False  # the member starts by picking their two favourite genres


ARMS = (
    Arm("popular", "popular"),
    Arm("split, no taste", "informative", onboarding.Params(popularity=1.0, diversity=0.5, taste=0.0)),
    Arm("informative (default)", "informative"),
    Arm("default without split", "informative", onboarding.Params(opinion=0.0)),
    Arm("popular + genres", "popular", genres=True),
    Arm("informative + genres", "informative", genres=True),
)


@dataclass(frozen=True)
class Sizes:
    users: int = 400
    films: int = 1500
    mean_ratings: int = 60
    members: int = 60  # new members per seed
    seen_scale: float = 3.0
    max_cards: int = 150  # a member shown this many cards without 10 answers stops


@dataclass
class Outcome:
    """Per arm, per checkpoint: one entry per member (pooled over seeds)."""

    hits: dict[str, dict[int, list[float]]]
    precision: dict[str, dict[int, list[float]]]  # share of the top 10 among the liked films
    cards: dict[str, dict[int, list[float]]]
    seeds: list[int]
    members: int

    def hr(self, arm: str, at: int) -> tuple[float, float]:
        """HR@10 and the half-width of its 95 % (Wilson-free normal) interval."""
        h = np.asarray(self.hits[arm][at])
        return float(h.mean()), 1.96 * float(h.std(ddof=1)) / math.sqrt(len(h)) if len(h) > 1 else 0.0

    def diff(self, arm: str, base: str, at: int) -> tuple[float, float]:
        """Paired difference of HR@10 to ``base`` and its 95 % half-width."""
        d = np.asarray(self.hits[arm][at]) - np.asarray(self.hits[base][at])
        return float(d.mean()), 1.96 * float(d.std(ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else 0.0


class _Member:
    """A held-out user: who knows which film, and the stars their true taste gives it."""

    def __init__(self, z: np.ndarray, share: np.ndarray, liked: set[int], rng: np.random.Generator, scale: float):
        lift = np.exp(1.2 * z)
        p_know = np.minimum(1.0, scale * share * lift / lift.mean())
        self.knows = rng.random(len(z)) < p_know
        latent = 2.2 + 0.9 * z + rng.normal(0.0, 0.55, len(z))
        self.stars = np.clip(np.round(latent * 2) / 2, 0.5, 5.0)
        self.liked = liked


def _films(data: SyntheticData) -> list[Film]:
    return [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]


def _subset(r: Ratings, keep: np.ndarray) -> Ratings:
    ts = r.timestamps[keep] if r.timestamps is not None else None
    return Ratings(r.users[keep], r.films[keep], r.stars[keep], ts)


def simulate(
    seed: int, arms: Sequence[Arm] = ARMS, sizes: Sizes | None = None, settings: ModelSettings | None = None
) -> Outcome:
    """One seed: generate, hold out new members, onboard each through every arm."""
    sizes, settings = sizes or Sizes(), settings or ModelSettings()
    data = generate(sizes.users, sizes.films, sizes.mean_ratings, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    r = data.ratings
    liked_counts = np.bincount(r.users[r.stars >= 4.0], minlength=sizes.users + 1)
    eligible = np.flatnonzero(liked_counts >= 5)
    new = rng.choice(eligible, size=min(sizes.members, len(eligible)), replace=False)
    train = _subset(r, ~np.isin(r.users, new))
    cat = Catalogue.build(_films(data), settings.dim)
    models = make_base_models(settings)
    for model in models.values():
        model.fit(train)
    scorer = Scorer(cat, models, settings)
    stats = onboarding.OpinionStats.from_ratings(train.films, train.stars)
    counts, _ = stats.aligned(cat.ids)
    share = counts / max(1, len(np.unique(train.users)))
    genres = [f.genres for f in cat.films]
    film_genres = np.array([[g in f.genres for g in GENRES] for f in cat.films], np.float64)
    rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate)
    weights = prior_weights(settings)

    def empty() -> dict[str, dict[int, list[float]]]:
        return {a.name: {c: [] for c in CHECKPOINTS} for a in arms}

    out = Outcome(empty(), empty(), empty(), [seed], len(new))
    for user in new.tolist():
        taste = data.tastes[user - 1]
        affinity = film_genres @ taste / np.maximum(film_genres.sum(1), 1)
        z = (affinity - affinity.mean()) / (affinity.std() + 1e-9)
        mine = r.users == user
        liked = set(r.films[mine][r.stars[mine] >= 4.0].tolist())
        member = _Member(z, share, liked, rng, sizes.seen_scale)
        favourite = {GENRES[i] for i in np.argsort(-taste)[:2]}
        first = np.array([bool(favourite & set(g)) for g in genres])
        for arm in arms:
            hits, precision, cards = _onboard(
                cat, genres, stats, scorer, rule, weights, member, arm, first, sizes.max_cards
            )
            for c in CHECKPOINTS:
                out.hits[arm.name][c].append(hits[c])
                out.precision[arm.name][c].append(precision[c])
                out.cards[arm.name][c].append(cards[c])
    return out


def _onboard(
    cat: Catalogue,
    genres: list[tuple[str, ...]],
    stats: onboarding.OpinionStats,
    scorer: Scorer,
    rule: UserModel,
    weights: UserWeights,
    member: _Member,
    arm: Arm,
    first: np.ndarray,
    max_cards: int,
) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    shown = np.zeros(len(cat), bool)
    answers: dict[int, float] = {}
    hits: dict[int, float] = {}
    precision: dict[int, float] = {}
    cards: dict[int, float] = {}
    n_shown = 0
    while len(answers) < max(CHECKPOINTS) and n_shown < max_cards:
        picked = onboarding.choose(
            cat.ids,
            genres,
            cat.matrix,
            stats,
            1,
            excluded=shown,
            answers=answers,
            first=first if arm.genres else None,
            strategy=arm.strategy,
            params=arm.params,
        )
        if not picked:
            break
        pos = picked[0]
        shown[pos] = True
        n_shown += 1
        if member.knows[pos]:
            answers[int(cat.ids[pos])] = float(member.stars[pos])
            if len(answers) in CHECKPOINTS:
                hits[len(answers)], precision[len(answers)] = _hit(cat, scorer, rule, weights, answers, member.liked)
                cards[len(answers)] = float(n_shown)
    for c in CHECKPOINTS:  # ran out of cards before c answers: measured with what it has
        if c not in hits:
            hits[c], precision[c] = _hit(cat, scorer, rule, weights, answers, member.liked)
            cards[c] = float(n_shown)
    return hits, precision, cards


def _hit(
    cat: Catalogue, scorer: Scorer, rule: UserModel, weights: UserWeights, answers: dict[int, float], liked: set[int]
) -> tuple[float, float]:
    positions = cat.positions(list(answers))
    vector = rule.rebuild((cat.matrix[p], stars_strength(answers[int(cat.ids[p])])) for p in positions)
    mask = np.ones(len(cat), bool)
    mask[positions] = False
    ranking = scorer.rank(answers, vector, weights, mask=mask, k=K, n_ratings=len(answers))
    target = liked - set(answers)
    found = sum(item.film_id in target for item in ranking.items)
    return float(found > 0), found / K


def compare(
    seeds: Sequence[int], arms: Sequence[Arm] = ARMS, sizes: Sizes | None = None, settings: ModelSettings | None = None
) -> Outcome:
    """Every arm over several seeds, members pooled."""
    total: Outcome | None = None
    for seed in seeds:
        one = simulate(seed, arms, sizes, settings)
        if total is None:
            total = one
            continue
        for arm in total.hits:
            for c in CHECKPOINTS:
                total.hits[arm][c] += one.hits[arm][c]
                total.precision[arm][c] += one.precision[arm][c]
                total.cards[arm][c] += one.cards[arm][c]
        total.seeds += one.seeds
        total.members += one.members
    if total is None:
        raise ValueError("compare needs at least one seed")
    return total


def format_table(outcome: Outcome, base: str = "popular") -> str:
    """A Markdown table: HR@10 after 5 and 10 answers (95 % intervals), the paired difference to
    ``base``, and the cards shown to get the answers."""
    lines = [
        f"{outcome.members} simulated new members over seeds {', '.join(map(str, outcome.seeds))}; "
        "HR@10 of their held-out liked films (95 % intervals; the differences are paired), P@10 the share "
        "of the top 10 they liked, cards the cards shown for those answers (skips included)",
        "",
        f"| strategy | HR@10 after 5 | vs {base} | P@10 | cards for 5 "
        f"| HR@10 after 10 | vs {base} | P@10 | cards for 10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for arm in outcome.hits:
        cells = [arm]
        for c in CHECKPOINTS:
            hr, half = outcome.hr(arm, c)
            cells.append(f"{hr:.3f} ± {half:.3f}")
            if arm == base or base not in outcome.hits:
                cells.append("")
            else:
                d, dh = outcome.diff(arm, base, c)
                cells.append(f"{d:+.3f} ± {dh:.3f}")
            cells.append(f"{float(np.mean(outcome.precision[arm][c])):.3f}")
            cells.append(f"{float(np.mean(outcome.cards[arm][c])):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
