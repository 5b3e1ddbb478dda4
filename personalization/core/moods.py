"""Moods: what a person feels like watching, as content features of the catalogue (pure).

A mood names genres (any one of them qualifies a film), genres it rules out (a film with any of
them never matches: nothing cozy about a horror comedy), and keywords looked for in a film's
``tags`` / ``keywords`` metadata (any one qualifies, still subject to the ruled-out genres). One
mood also uses the runtime an IMDb import stores (``runtime_minutes``): a long film is epic.
Genre names are compared without case or punctuation, and the table lists the spellings of
MovieLens and IMDb (``Sci-Fi`` and ``Science Fiction``, ``Children`` and ``Family``), so one
table serves both catalogues. docs/moods.md shows the table.

A mood only chooses the candidates; the person's own ranking orders them, so two people asking
for the same mood get their own films, in their own order.

>>> mood = check_mood(" Mind-Bending ")
>>> mood.name, matches(mood, genres=("Sci-Fi", "Drama"))
('mind-bending', True)
>>> matches(check_mood("cozy"), genres=("Comedy", "Horror"))
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.catalogue import Catalogue, Film
from personalization.errors import CineSyncError, quoted

__all__ = ["Mood", "MOODS", "EPIC_MINUTES", "mood_names", "check_mood", "matches", "film_matches", "mood_mask"]

EPIC_MINUTES = 150  # a film at least this long (IMDb's runtime) is epic, whatever its genres


@dataclass(frozen=True)
class Mood:
    name: str
    description: str
    genres: tuple[str, ...]  # any one of them qualifies a film
    avoid: tuple[str, ...] = ()  # any one of them rules a film out
    keywords: tuple[str, ...] = ()  # in the film's tags or keywords metadata: any one qualifies
    min_minutes: int | None = None  # at least this runtime qualifies a film too


_FAMILY = ("Children", "Children's", "Family", "Animation")

MOODS: dict[str, Mood] = {
    m.name: m
    for m in (
        Mood(
            "uplifting",
            "feel-good films that leave you lighter",
            ("Comedy", "Musical", "Music", "Family", "Children", "Animation", "Sport"),
            avoid=("Horror", "War", "Film-Noir", "Thriller"),
            keywords=("feel-good", "uplifting", "inspiring", "heartwarming"),
        ),
        Mood(
            "dark",
            "bleak, brooding, morally grey",
            ("Film-Noir", "Crime", "Horror", "War", "Thriller", "Mystery"),
            avoid=(*_FAMILY, "Musical", "Comedy"),
            keywords=("dark", "noir", "bleak", "dystopia"),
        ),
        Mood(
            "thrilling",
            "tension and pace",
            ("Thriller", "Action", "Crime", "Mystery", "Adventure"),
            avoid=(*_FAMILY, "Musical", "Documentary"),
            keywords=("heist", "chase", "suspense"),
        ),
        Mood(
            "cozy",
            "gentle and warm, for a quiet evening",
            ("Comedy", "Romance", "Family", "Children", "Animation", "Musical"),
            avoid=("Horror", "Thriller", "War", "Crime", "Film-Noir"),
            keywords=("cozy", "heartwarming", "feel-good"),
        ),
        Mood(
            "mind-bending",
            "puzzles, twists and strange worlds",
            ("Sci-Fi", "Science Fiction", "Mystery", "Fantasy"),
            avoid=("Children", "Children's", "Family"),
            keywords=("time travel", "twist", "surreal", "dream", "mind-bending", "nonlinear"),
        ),
        Mood(
            "romantic",
            "love stories",
            ("Romance",),
            avoid=("Horror", "War"),
            keywords=("romance", "love"),
        ),
        Mood(
            "scary",
            "to watch with the lights on",
            ("Horror",),
            avoid=_FAMILY,
            keywords=("ghost", "haunted", "slasher", "supernatural"),
        ),
        Mood(
            "funny",
            "to laugh out loud",
            ("Comedy",),
            avoid=("War", "Horror"),
            keywords=("comedy", "parody", "satire"),
        ),
        Mood(
            "epic",
            f"big, sweeping stories (or any film of {EPIC_MINUTES} minutes or more)",
            ("War", "Adventure", "Fantasy", "Western", "History"),
            avoid=("Children", "Children's"),
            keywords=("epic",),
            min_minutes=EPIC_MINUTES,
        ),
        Mood(
            "thoughtful",
            "slow, human, something to talk about after",
            ("Drama", "Documentary", "Biography", "History"),
            avoid=("Action", "Horror", *_FAMILY),
            keywords=("philosophy", "character study", "based on a true story"),
        ),
    )
}


def mood_names() -> list[str]:
    return list(MOODS)


def _key(text: str) -> str:
    """A genre or keyword without case or punctuation: ``Sci-Fi`` and ``sci fi`` are one."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def check_mood(name: Any) -> Mood:
    """The mood called ``name`` (any case, spaces or hyphens); anything else is an error that
    lists the known moods."""
    known = ", ".join(MOODS)
    if not isinstance(name, str) or not name.strip():
        raise CineSyncError(f"a mood is one of: {known}; got {name!r}")
    wanted = _key(name)
    for mood in MOODS.values():
        if _key(mood.name) == wanted:
            return mood
    raise CineSyncError(f"unknown mood {quoted(name)}; the known moods: {known}")


def _words(metadata: Mapping[str, Any] | None) -> set[str]:
    """The film's tags and keywords, as keys (a list, or one comma-separated string)."""
    out: set[str] = set()
    for field in ("tags", "keywords"):
        value = (metadata or {}).get(field)
        items: Iterable[Any] = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else ()
        out.update(_key(str(v)) for v in items)
    return out


def matches(
    mood: Mood,
    *,
    genres: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a film with these genres and metadata is in the mood."""
    have = {_key(g) for g in genres}
    if have & {_key(g) for g in mood.avoid}:
        return False
    if have & {_key(g) for g in mood.genres}:
        return True
    if mood.keywords and _words(metadata) & {_key(k) for k in mood.keywords}:
        return True
    if mood.min_minutes is not None:
        minutes = (metadata or {}).get("runtime_minutes")
        if isinstance(minutes, int | float) and minutes >= mood.min_minutes:
            return True
    return False


def film_matches(mood: Mood, film: Film) -> bool:
    return matches(mood, genres=film.genres, metadata=film.metadata)


def mood_mask(catalogue: Catalogue, mood: Mood) -> NDArray[np.bool_]:
    """The catalogue's films in the mood (positions of ``catalogue.ids``); none at all is an error
    (the catalogue has none of the mood's genres or keywords)."""
    mask = np.fromiter((film_matches(mood, f) for f in catalogue.films), dtype=bool, count=len(catalogue.films))
    if len(mask) and not mask.any():
        raise CineSyncError(
            f"no film in the catalogue is {mood.name} (genres {', '.join(mood.genres)}): try another mood"
        )
    return mask
