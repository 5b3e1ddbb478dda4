"""Time variants of the personal term, scored side by side in one replay (for the time study).

A ``TimeVariant`` is a recency half-life for the taste vector, optionally a reaction to drift
(a drifting user's vector then uses ``drift_half_life_days``) and a context re-rank weight. The
replay learns one extra taste vector per variant (and per drift half-life) at every event and
reports two extra models per variant: ``personal[label]`` (that vector's term alone) and
``blend[label]`` (the fixed blend with that personal term, plus the context re-rank when its
weight is > 0). The collaborative terms are computed once for all of them, so a study of many
half-lives costs about one replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from personalization.config import ModelSettings
from personalization.core.ensemble import PERSONAL, Scorer, UserWeights, blend
from personalization.core.user_model import OnlineUserModel, UserModel

__all__ = ["TimeVariant", "TimeVariants"]


@dataclass(frozen=True)
class TimeVariant:
    label: str
    half_life_days: float = 0.0
    drift_half_life_days: float = 0.0  # > 0: while drifting, the vector with this half-life
    context_weight: float = 0.0
    with_blend: bool = True  # False: only personal[label] (no collaborative term is computed for it)

    @property
    def models(self) -> tuple[str, ...]:
        personal = f"personal[{self.label}]"
        return (personal, f"blend[{self.label}]") if self.with_blend else (personal,)


class TimeVariants:
    """The variants' taste vectors, learned beside the replay's own."""

    def __init__(
        self,
        variants: Sequence[TimeVariant],
        settings: ModelSettings,
        item_vector: Callable[[int], np.ndarray],
        version: Callable[[], int],
    ):
        self.variants = list(variants)
        self.users: dict[float, OnlineUserModel] = {}
        for v in self.variants:
            for h in (v.half_life_days, v.drift_half_life_days if v.drift_half_life_days > 0 else None):
                if h is not None and h not in self.users:
                    rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate, h)
                    self.users[h] = OnlineUserModel(rule, item_vector)
                    self.users[h].version = version

    @property
    def models(self) -> list[str]:
        return [m for v in self.variants for m in v.models]

    @property
    def blended(self) -> bool:
        return any(v.with_blend for v in self.variants)

    @property
    def watch_drift(self) -> bool:
        return any(v.drift_half_life_days > 0 for v in self.variants)

    @property
    def context(self) -> bool:
        return any(v.context_weight > 0 for v in self.variants)

    def learn_one(self, user: int, film: int, strength: float, at: float | None) -> None:
        for model in self.users.values():
            model.learn_one(user, film, strength, at)

    def terms(
        self, scorer: Scorer, user: int, hist: Mapping[int, float], n_before: int, drifting: bool
    ) -> dict[str, np.ndarray]:
        """Each variant's personal term (absent when the user gets no personal term yet)."""
        out: dict[str, np.ndarray] = {}
        for v in self.variants:
            h = v.drift_half_life_days if drifting and v.drift_half_life_days > 0 else v.half_life_days
            vector = self.users[h].vector(user)
            if scorer.personalised(n_before, vector):
                out[v.models[0]] = scorer.terms(hist, vector, [PERSONAL], user=user)[PERSONAL]
        return out

    def scores(
        self,
        model: str,
        terms: Mapping[str, np.ndarray],
        prior: UserWeights,
        mask: np.ndarray,
        context: np.ndarray | None,
    ) -> np.ndarray | None:
        """A variant model's scores, or None when ``model`` is not one."""
        for v in self.variants:
            personal = v.models[0]
            if model == personal:
                return terms.get(personal, np.zeros(len(mask)))
            if v.with_blend and model == v.models[1]:
                own = {t: s for t, s in terms.items() if "[" not in t and t != PERSONAL}
                if personal in terms:
                    own[PERSONAL] = terms[personal]
                scores = blend(own, prior, mask)[0]
                if v.context_weight > 0 and context is not None:
                    scores = scores + v.context_weight * context
                return scores
        return None
