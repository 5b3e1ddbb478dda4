"""MovieLens ``links.csv`` (movieId,imdbId,tmdbId): each film's IMDb and TMDb ids.

With links, a MovieLens folder and an IMDb catalogue meet on the same films. The rule for film
ids (``personalization.data.imdb`` documents it): a film with an IMDb id has the number of that
id as its film id (tt0114709 -> 114709), unless the database already holds that IMDb id under
another film id, which then wins. A MovieLens film without an IMDb id keeps its movieId. The
MovieLens movieId itself is kept as the film's ``movielens_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from personalization.core.catalogue import Film
from personalization.errors import ImportFormatError

__all__ = ["read_links", "with_links", "imdb_id", "imdb_number", "renumber", "film_urls", "LINKS_HEADER"]

LINKS_HEADER = ("movieId", "imdbId", "tmdbId")
_IMDB = re.compile(r"^(?:tt)?(\d{1,10})$")
_TCONST = re.compile(r"^tt\d{7,10}$")
_TMDB = re.compile(r"^\d{1,10}$")


def film_urls(metadata: Mapping[str, object] | None) -> dict[str, str]:
    """``{"IMDb": url, "TMDb": url}`` for the ids a film's metadata holds (well-formed ones only:
    metadata is free-form, a link is built only from an id that looks like one)."""
    metadata = metadata or {}
    urls = {}
    tconst, tmdb = str(metadata.get("imdb_id") or ""), str(metadata.get("tmdb_id") or "")
    if _TCONST.match(tconst):
        urls["IMDb"] = f"https://www.imdb.com/title/{tconst}/"
    if _TMDB.match(tmdb):
        urls["TMDb"] = f"https://www.themoviedb.org/movie/{tmdb}"
    return urls


def imdb_id(value: str) -> str | None:
    """``'0114709'``, ``'114709'`` or ``'tt0114709'`` -> ``'tt0114709'`` (at least 7 digits, as
    IMDb writes them); None for anything else."""
    m = _IMDB.match(value.strip())
    if not m:
        return None
    return f"tt{int(m.group(1)):07d}"


def imdb_number(tconst: str) -> int:
    """The engine's film id for an IMDb id: its number (``'tt0111161'`` -> 111161)."""
    return int(tconst.removeprefix("tt"))


def read_links(path: Path) -> dict[int, dict[str, str]]:
    """``{movieId: {"movielens_id": ..., "imdb_id": "tt...", "tmdb_id": ...}}``; an empty imdbId
    or tmdbId is allowed (the film just has no such link), anything else malformed is an error."""
    from personalization.data.importers import _csv_rows  # the checked CSV reader (BOM, header, width)
    from personalization.service.results import MAX_FILM_ID

    links: dict[int, dict[str, str]] = {}
    for where, row in _csv_rows(Path(path), LINKS_HEADER):
        movie, imdb, tmdb = (field.strip() for field in row)
        if not movie.isdigit() or int(movie) > MAX_FILM_ID:
            raise ImportFormatError(f"{where}: movieId must be a whole number, got {movie!r}")
        ids = {"movielens_id": str(int(movie))}
        if imdb:
            tconst = imdb_id(imdb)
            if tconst is None or imdb_number(tconst) > MAX_FILM_ID:
                raise ImportFormatError(f"{where}: imdbId must be digits such as 0114709, got {imdb!r}")
            ids["imdb_id"] = tconst
        if tmdb:
            if not tmdb.isdigit():
                raise ImportFormatError(f"{where}: tmdbId must be a whole number or empty, got {tmdb!r}")
            ids["tmdb_id"] = str(int(tmdb))
        links[int(movie)] = ids
    return links


def with_links(films: list[Film], path: Path) -> list[Film]:
    """The films with their links in ``metadata`` (``imdb_id``, ``tmdb_id``, ``movielens_id``)."""
    links = read_links(path)
    return [replace(f, metadata={**f.metadata, **links[f.id]}) if f.id in links else f for f in films]


def renumber(
    films: list[Film], ratings: list[tuple[int, int, float, float]], known: Mapping[str, int], *, keep_ids: bool = False
) -> tuple[list[Film], list[tuple[int, int, float, float]]]:
    """Give each film its engine id by the rule above: ``known`` (IMDb id -> film id already in
    the database) first, then the IMDb number (or, with ``keep_ids``, the movieId). Two MovieLens
    films with one IMDb id become one film; the ratings follow their films."""
    new_id: dict[int, int] = {}
    films_out: dict[int, Film] = {}
    first: dict[str, int] = {}  # IMDb id -> the film id its first MovieLens film got
    for film in films:
        tconst = str(film.metadata.get("imdb_id") or "")
        if tconst in known:
            target = known[tconst]
        elif tconst in first:
            target = first[tconst]
        elif tconst and not keep_ids:
            target = imdb_number(tconst)
        else:
            target = film.id
        new_id[film.id] = target
        if tconst:
            first.setdefault(tconst, target)
        if target in films_out and films_out[target].metadata.get("imdb_id") != tconst:
            other = films_out[target]
            raise ImportFormatError(
                f"films {other.metadata.get('movielens_id', other.id)} and {film.id} would both be film {target} "
                "(a movieId without an IMDb id equals another film's IMDb number); add its imdbId to links.csv "
                "or import with --keep-movielens-ids"
            )
        films_out.setdefault(target, replace(film, id=target))
    moved = [(u, new_id.get(f, f), s, t) for u, f, s, t in ratings]
    return list(films_out.values()), moved
