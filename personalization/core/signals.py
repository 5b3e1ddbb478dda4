"""What an event means: star ratings and feedback kinds as a signed strength in [-1, 1].

Love and 5 stars pull hardest towards a film, 4 stars and like pull towards it, 3 stars is
neutral, 2 stars and dislike push away, 1 star and hate push hardest away.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from personalization.errors import InvalidFeedback, InvalidRating

__all__ = [
    "FEEDBACK_KINDS",
    "FEEDBACK_STRENGTH",
    "check_stars",
    "check_kind",
    "stars_strength",
    "feedback_strength",
    "is_strong",
    "feedback_stars",
    "History",
]

FEEDBACK_STRENGTH = {
    "love": 1.0,
    "like": 0.5,
    "dislike": -0.5,
    "hate": -1.0,
    # Not interested says "do not show me this", not "I dislike films like it": a mild push,
    # and the film is never recommended again.
    "not_interested": -0.25,
}
FEEDBACK_KINDS = tuple(FEEDBACK_STRENGTH)


def check_stars(stars: object) -> float:
    """Return ``stars`` as a float, or raise InvalidRating saying what is allowed."""
    try:
        value = float(stars)  # type: ignore[arg-type]  # anything float() takes
    except (TypeError, ValueError):
        raise InvalidRating(f"rating must be a number from 0.5 to 5 in half steps, got {stars!r}") from None
    if not math.isfinite(value) or not 0.5 <= value <= 5.0 or value * 2 != round(value * 2):
        raise InvalidRating(f"rating must be from 0.5 to 5 in half steps (e.g. 3.5), got {stars!r}")
    return value


def check_kind(kind: object) -> str:
    if kind not in FEEDBACK_STRENGTH:
        raise InvalidFeedback(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}; got {kind!r}")
    return str(kind)


def stars_strength(stars: float) -> float:
    """3 stars is 0, each star above or below moves half a unit; 1 star and below is -1."""
    return max(-1.0, min(1.0, (check_stars(stars) - 3.0) / 2.0))


def feedback_strength(kind: str) -> float:
    return FEEDBACK_STRENGTH[check_kind(kind)]


def is_strong(strength: float) -> bool:
    """Love, hate, 5 stars and 1 star (|strength| = 1) learn with the strong-signal rate."""
    return abs(strength) >= 1.0


def feedback_stars(kind: str) -> float | None:
    """How the collaborative models read this feedback: love as 5 stars, like as 4 (the stars of
    equal strength). None for dislike, hate and not_interested: those models read every film in a
    history as interest (a 1-star rating still predicts what else people rate), so a hated film
    fed to them would promote films like it. The taste vector carries the negative signal instead
    (it moves away from the film's content), and the film is never recommended again."""
    if FEEDBACK_STRENGTH[check_kind(kind)] <= 0:
        return None
    return 3.0 + 2.0 * FEEDBACK_STRENGTH[kind]


@dataclass
class History:
    """What a user has told the engine, one entry per film.

    ``rated``: their stored ratings. ``taste``: what the collaborative models score from, oldest
    first: each film's effective signal in stars (a rating, or newer feedback read through
    ``feedback_stars``). ``seen``: every film with a rating or feedback; none is recommended
    again, and their number is what the threshold for personal picks counts.
    """

    rated: dict[int, float] = field(default_factory=dict)
    taste: dict[int, float] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, float | None, str | None]]) -> History:
        """``(film, stars or None, newer feedback kind or None)`` rows, oldest signal first."""
        out = cls()
        for film, stars, kind in rows:
            out.seen.add(film)
            if stars is not None:
                out.rated[film] = float(stars)
            effective = feedback_stars(kind) if kind is not None else stars
            if effective is not None:
                out.taste[film] = float(effective)
        return out

    @property
    def n_signals(self) -> int:
        return len(self.seen)
