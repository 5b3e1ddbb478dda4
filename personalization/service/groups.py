"""Watch parties: films for several people at once (``Service.group_recommend``).

Each member's liking of every candidate film is predicted in stars from their own taste
(``core.group``: the personal term of their ranking, calibrated on their own signals); a
strategy turns the members' likings into the group's order. Candidates are the films nobody in
the group has rated or reacted to (and, with a mood, the films in that mood). Reads only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from personalization.core import group, moods, signals
from personalization.core.catalogue import Film
from personalization.errors import CineSyncError, UnknownUser
from personalization.service.reads import Reads, check_k, filter_mask
from personalization.service.results import check_user_id

__all__ = ["Groups", "GroupPick", "GroupRecommendations", "MAX_MEMBERS", "check_members"]

MAX_MEMBERS = 25  # a voice channel's worth; more than one list can serve


def check_members(user_ids: Any) -> list[int]:
    """Two to ``MAX_MEMBERS`` distinct user ids, in the order given (repeats dropped)."""
    if isinstance(user_ids, str | bytes) or not isinstance(user_ids, Iterable):
        raise CineSyncError(f"a group is a list of user ids, got {user_ids!r}")
    members: list[int] = []
    for u in user_ids:
        uid = check_user_id(u)
        if uid not in members:
            members.append(uid)
    if len(members) < 2:
        raise CineSyncError(
            f"a watch party needs at least 2 different members, got {len(members)}: name everyone who is watching"
        )
    if len(members) > MAX_MEMBERS:
        raise CineSyncError(f"a watch party has at most {MAX_MEMBERS} members, got {len(members)}")
    return members


@dataclass(frozen=True)
class GroupPick:
    film: Film
    score: float  # the group's score under the strategy (stars; members for approval)
    likings: dict[int, float]  # each member's predicted stars, 0.5-5

    @property
    def hated_by(self) -> list[int]:
        return [u for u, s in self.likings.items() if s < group.HATE_STARS]

    @property
    def liked_by(self) -> list[int]:
        return [u for u, s in self.likings.items() if s >= group.LIKE_STARS]

    def to_dict(self) -> dict[str, Any]:
        f = self.film
        return {
            "film": {
                "id": f.id,
                "title": f.title,
                "year": f.year,
                "genres": list(f.genres),
                "directors": list(f.directors),
                "actors": list(f.actors),
            },
            "score": round(self.score, 4),
            "likings": {str(u): round(s, 2) for u, s in self.likings.items()},
            "liked_by": self.liked_by,
            "hated_by": self.hated_by,
        }


@dataclass(frozen=True)
class GroupRecommendations:
    user_ids: list[int]
    strategy: str
    mood: str | None
    items: list[GroupPick]
    # members whose taste is not known yet (no signal with a direction): their mean for every film
    no_taste: list[int] = field(default_factory=list)
    hate_stars: float = group.HATE_STARS
    like_stars: float = group.LIKE_STARS

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_ids": self.user_ids,
            "strategy": self.strategy,
            "mood": self.mood,
            "scale": "predicted stars, 0.5-5",
            "hate_below": self.hate_stars,
            "like_from": self.like_stars,
            "no_taste": self.no_taste,
            "items": [p.to_dict() for p in self.items],
        }


class Groups:
    """The group reads, over the per-user reads (``Reads``)."""

    def __init__(self, reads: Reads):
        self.reads = reads

    def _member(self, user_id: int) -> tuple[signals.History, dict[int, float]]:
        """The member's history and their signals as stars ({film: stars}; feedback read as its
        stars: love 5, like 4, dislike 2, hate 1, not interested 2.5)."""
        with self.reads.repo.session() as session:
            if not session.user_exists(user_id):
                raise UnknownUser(user_id)
            rows = session.history(user_id)
        stars: dict[int, float] = {}
        for film, rated, kind in rows:
            if kind is not None:
                stars[film] = 3.0 + 2.0 * signals.FEEDBACK_STRENGTH[kind]
            elif rated is not None:
                stars[film] = float(rated)
        return signals.History.from_rows(rows), stars

    def recommend(
        self,
        user_ids: Any,
        k: int = 10,
        *,
        strategy: str = "least_misery",
        mood: str | None = None,
    ) -> GroupRecommendations:
        members, k, strategy = check_members(user_ids), check_k(k), group.check_strategy(strategy)
        engine = self.reads.engine
        cat = engine.catalogue()
        mask = filter_mask(cat, None, None, self.reads.mood_mask(cat, mood))
        scorer = engine.scorer()
        likings = np.zeros((len(members), len(cat)), np.float64)
        no_taste: list[int] = []
        for row, uid in enumerate(members):
            history, stars = self._member(uid)
            if history.seen:
                mask[cat.positions(list(history.seen))] = False
            state = self.reads.user_vector(uid)
            vector = state[0] if state is not None else None
            if vector is None or not np.any(vector):
                calibration = group.calibrate([], list(stars.values()))
                no_taste.append(uid)
                likings[row] = calibration.mean
                continue
            scores = np.asarray(scorer.content(vector), np.float64)
            films = [f for f in stars if cat.position(f) is not None]
            positions = cat.positions(films)
            calibration = group.calibrate(scores[positions], [stars[f] for f in films])
            if not calibration.personal:
                no_taste.append(uid)
            likings[row] = calibration.stars(scores)
        cand = np.flatnonzero(mask)
        best = cand[group.rank(likings[:, cand], cat.ids[cand], strategy, k)]
        scores, _ = group.group_scores(likings[:, best], strategy)
        items = [
            GroupPick(cat.films[pos], float(score), {u: float(likings[r, pos]) for r, u in enumerate(members)})
            for pos, score in zip(best, scores)
        ]
        named = moods.check_mood(mood).name if mood is not None else None
        return GroupRecommendations(members, strategy, named, items, no_taste)
