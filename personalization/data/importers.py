"""Reading MovieLens-style files (ml-100k and ml-latest layouts, optional credits.csv).

Files are parsed and validated completely before anything is written: a malformed or truncated
file raises ``ImportFormatError`` naming the file and line, and the database is left untouched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from personalization.core.catalogue import Film
from personalization.core.signals import check_stars
from personalization.errors import CineSyncError, ImportFormatError, InvalidRating
from personalization.service.results import MAX_FILM_ID, MAX_USER_ID, check_timestamp

__all__ = ["MovieLensData", "read_movielens", "read_ratings_csv", "detect_layout", "ML100K_GENRES"]

ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
_YEAR = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")

FIRST_YEAR, LAST_YEAR = 1850, 2200  # the movies.year CHECK constraint (sql/V001)
RatingEvent = tuple[int, int, float, float]  # user, film, stars, unix seconds


@dataclass
class MovieLensData:
    layout: str
    films: list[Film]
    ratings: list[RatingEvent]  # ordered by timestamp, ties in file order


def detect_layout(directory: Path) -> str:
    directory = Path(directory)
    if (directory / "u.item").exists() and (directory / "u.data").exists():
        return "ml-100k"
    if (directory / "movies.csv").exists():
        return "ml-latest"
    raise ImportFormatError(
        f"{directory}: not a MovieLens folder; expected u.item + u.data (ml-100k) or "
        "movies.csv + ratings.csv (ml-latest)"
    )


def split_title(raw: str) -> tuple[str, int | None]:
    """'Heat (1995)' -> ('Heat', 1995); titles keep quotes, emoji and commas as they are.
    A year outside the films' era (``FIRST_YEAR``-``LAST_YEAR``) stays part of the title:
    'Passage (1820)' is a title, not a film from 1820."""
    raw = raw.strip()
    m = _YEAR.search(raw)
    if m and m.start() > 0 and FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        return raw[: m.start()].strip(), int(m.group(1))
    return raw, None


def _int(value: str, where: str, what: str, maximum: int) -> int:
    """A whole number from 0 to ``maximum`` (the id ranges of the database's columns)."""
    try:
        number = int(value.strip())
    except (ValueError, AttributeError):
        raise ImportFormatError(f"{where}: {what} must be a whole number, got {value!r}") from None
    if not 0 <= number <= maximum:
        raise ImportFormatError(f"{where}: {what} must be from 0 to {maximum}, got {number}")
    return number


def _timestamp(value: str, where: str) -> float:
    try:
        return check_timestamp(value)
    except CineSyncError as exc:
        raise ImportFormatError(f"{where}: {exc}") from None


def _rating_event(fields: list[str], where: str) -> RatingEvent:
    if len(fields) != 4:
        raise ImportFormatError(
            f"{where}: expected 4 fields (user, film, rating, timestamp), got {len(fields)}; is the file truncated?"
        )
    user = _int(fields[0], where, "user id", MAX_USER_ID)
    film = _int(fields[1], where, "film id", MAX_FILM_ID)
    try:
        stars = check_stars(fields[2].strip())
    except InvalidRating as exc:
        raise ImportFormatError(f"{where}: {exc}") from None
    return user, film, stars, _timestamp(fields[3], where)


def _sorted(events: list[RatingEvent]) -> list[RatingEvent]:
    return sorted(events, key=lambda e: e[3])  # stable: ties keep file order


def _check_newline(path: Path, text: str) -> None:
    if text and not text.endswith("\n"):
        # A file cut mid-line: the last record may be partial, so refuse it as a whole.
        raise ImportFormatError(f"{path}: does not end with a newline; the file looks truncated")


def read_ratings_csv(path: Path) -> list[RatingEvent]:
    """``userId,movieId,rating,timestamp`` with that header; ordered by timestamp."""
    path = Path(path)
    events = [
        _rating_event(row, where)
        for where, row in _csv_rows(path, ("userId", "movieId", "rating", "timestamp"), check_width=False)
    ]
    return _sorted(events)


def _csv_rows(path: Path, header: tuple[str, ...], *, check_width: bool = True):
    """``(where, row)`` for each non-empty row of a checked CSV file with this header."""
    text = _read_text(path, "utf-8-sig")  # a byte-order mark (spreadsheets write one) is dropped
    _check_newline(path, text)
    reader = csv.reader(io.StringIO(text))
    found = next(reader, None)
    if found is None or [h.strip() for h in found[: len(header)]] != list(header):
        raise ImportFormatError(f"{path}:1: expected the header {','.join(header)}")
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if check_width and len(row) != len(header):
            raise ImportFormatError(f"{path}:{n}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}")
        yield f"{path}:{n}", row


def read_movielens(directory: Path) -> MovieLensData:
    directory = Path(directory)
    layout = detect_layout(directory)
    if layout == "ml-100k":
        films = list(_read_100k_items(directory / "u.item"))
        ratings = _read_100k_ratings(directory / "u.data")
    else:
        films = list(_read_latest_movies(directory / "movies.csv"))
        path = directory / "ratings.csv"
        ratings = read_ratings_csv(path) if path.exists() else []
    credits = directory / "credits.csv"
    if credits.exists():
        films = _merge_credits(films, credits)
    links = directory / "links.csv"
    if links.exists():  # the films' IMDb and TMDb ids, kept in metadata (personalization.data.links)
        from personalization.data.links import with_links

        films = with_links(films, links)
    known = {f.id for f in films}
    unknown = sorted({e[1] for e in ratings} - known)
    if unknown:
        raise ImportFormatError(
            f"{directory}: ratings name {len(unknown)} film(s) missing from the film list, e.g. {unknown[:5]}"
        )
    return MovieLensData(layout, films, ratings)


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read it ({exc.strerror})") from None


def _read_100k_items(path: Path) -> Iterable[Film]:
    text = _read_text(path, "latin-1")
    _check_newline(path, text)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        where = f"{path}:{n}"
        if len(fields) != 5 + len(ML100K_GENRES):
            raise ImportFormatError(
                f"{where}: expected {5 + len(ML100K_GENRES)} '|'-separated fields, "
                f"got {len(fields)}; is the file truncated?"
            )
        title, year = split_title(fields[1])
        if year is None and fields[2][-4:].isdigit() and FIRST_YEAR <= int(fields[2][-4:]) <= LAST_YEAR:
            year = int(fields[2][-4:])
        flags = fields[5:]
        if any(f.strip() not in ("0", "1") for f in flags):
            raise ImportFormatError(f"{where}: genre flags must be 0 or 1")
        genres = tuple(g for g, flag in zip(ML100K_GENRES, flags) if flag.strip() == "1" and g != "unknown")
        yield Film(_int(fields[0], where, "film id", MAX_FILM_ID), _title(title, where), year, genres)


def _read_100k_ratings(path: Path) -> list[RatingEvent]:
    text = _read_text(path, "latin-1")
    _check_newline(path, text)
    events = [
        _rating_event(line.split("\t"), f"{path}:{n}")
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    return _sorted(events)


def _read_latest_movies(path: Path) -> Iterable[Film]:
    for where, row in _csv_rows(path, ("movieId", "title", "genres")):
        title, year = split_title(row[1])
        genres = tuple(g for g in row[2].split("|") if g and g != "(no genres listed)")
        yield Film(_int(row[0], where, "film id", MAX_FILM_ID), _title(title, where), year, genres)


def _title(title: str, where: str) -> str:
    if not title:
        raise ImportFormatError(f"{where}: empty title")
    if "\x00" in title:
        raise ImportFormatError(f"{where}: title contains a NUL character")
    return title


def _merge_credits(films: list[Film], path: Path) -> list[Film]:
    directors: dict[int, list[str]] = {}
    actors: dict[int, list[str]] = {}
    for where, row in _csv_rows(path, ("movieId", "role", "person")):
        film, role, person = _int(row[0], where, "film id", MAX_FILM_ID), row[1].strip().lower(), row[2].strip()
        if role not in ("director", "actor"):
            raise ImportFormatError(f"{where}: role must be 'director' or 'actor', got {row[1]!r}")
        if person:
            (directors if role == "director" else actors).setdefault(film, []).append(person[:300])
    return [
        Film(
            f.id,
            f.title,
            f.year,
            f.genres,
            tuple(directors.get(f.id, f.directors)),
            tuple(actors.get(f.id, f.actors)),
            f.metadata,
        )
        for f in films
    ]
