"""Finding a member's films in the catalogue: by IMDb id, else by normalised title and year.

``normalise_title`` folds the ways one title is written by different sites: accents
("Amélie" = "Amelie"), case, articles in front or moved to the end ("The Godfather" =
"Godfather, The", MovieLens's form), "&" for "and", and punctuation.

>>> normalise_title("Godfather, The")
'godfather'
>>> normalise_title("Amélie") == normalise_title("AMELIE!")
True
>>> normalise_title("Léon: The Professional")
'leon the professional'
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from personalization.core.catalogue import Film

__all__ = ["normalise_title", "Match", "Matcher", "MATCHED", "AMBIGUOUS", "NOT_FOUND"]

MATCHED, AMBIGUOUS, NOT_FOUND = "matched", "ambiguous", "not found"
# Articles that lead a title or follow it after a comma ("Godfather, The"), in the languages
# the catalogues use most.
ARTICLES = ("the", "a", "an", "les", "le", "la", "l'", "der", "die", "das", "el", "los", "las", "il", "lo", "gli")
_TRAILING = re.compile(r",\s*(" + "|".join(re.escape(a) for a in ARTICLES) + r")\s*$", re.IGNORECASE)
_LEADING = re.compile(r"^(" + "|".join(re.escape(a) for a in ARTICLES if a != "l'") + r")\s+|^l'\s*", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^\w]+")


def normalise_title(title: str) -> str:
    """The title reduced to what every site agrees on: lower case ASCII-folded words, no
    leading or trailing article, no punctuation."""
    text = unicodedata.normalize("NFKD", title.strip())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("&", " and ")
    m = _TRAILING.search(text)
    if m:  # "Godfather, The" -> "The Godfather"
        text = f"{m.group(1)} {text[: m.start()]}"
    text = _LEADING.sub("", text.strip(), count=1)
    words = _NOT_WORD.sub(" ", text.casefold()).split()
    return " ".join(words) or title.strip().casefold()


@dataclass(frozen=True)
class Match:
    status: str  # MATCHED, AMBIGUOUS or NOT_FOUND
    film: int | None = None
    how: str = ""  # "imdb id", "title and year", "title, year off by one", "title"
    candidates: tuple[int, ...] = ()  # the films an ambiguous line could be


class Matcher:
    """Looks films up by IMDb id, then by normalised title and year."""

    def __init__(self, films: Iterable[Film], imdb_ids: Mapping[str, int] | None = None):
        self.by_imdb: dict[str, int] = {}
        self.by_title_year: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        self.by_title: dict[str, list[int]] = defaultdict(list)
        for film in films:
            tconst = film.metadata.get("imdb_id") if film.metadata else None
            if tconst:
                self.by_imdb[str(tconst)] = film.id
            key = normalise_title(film.title)
            self.by_title_year[(key, film.year)].append(film.id)
            self.by_title[key].append(film.id)
        self.by_imdb.update(imdb_ids or {})

    def match(self, title: str, year: int | None, imdb_id: str | None = None) -> Match:
        if imdb_id and imdb_id in self.by_imdb:
            return Match(MATCHED, self.by_imdb[imdb_id], "imdb id")
        key = normalise_title(title)
        if year is None:
            return self._pick(self.by_title.get(key, []), "title")
        found = self._pick(self.by_title_year.get((key, year), []), "title and year")
        if found.status != NOT_FOUND:
            return found
        # Sites disagree by a year now and then (festival release against general release).
        near = self.by_title_year.get((key, year - 1), []) + self.by_title_year.get((key, year + 1), [])
        return self._pick(near, "title, year off by one")

    @staticmethod
    def _pick(films: list[int], how: str) -> Match:
        if len(films) == 1:
            return Match(MATCHED, films[0], how)
        if films:
            return Match(AMBIGUOUS, None, how, tuple(sorted(films)))
        return Match(NOT_FOUND)
