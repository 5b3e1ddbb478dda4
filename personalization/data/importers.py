"""Reading MovieLens-style files (ml-100k and ml-latest layouts, optional credits.csv).

Files are parsed and validated completely before anything is written: a malformed or truncated
file raises ``ImportFormatError`` naming the file and line, and the database is left untouched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from personalization.core.catalogue import Film
from personalization.core.signals import check_stars
from personalization.errors import CineSyncError, ImportFormatError, InvalidRating
from personalization.service.results import MAX_FILM_ID, MAX_TIMESTAMP, MAX_USER_ID, MIN_TIMESTAMP, check_timestamp

__all__ = [
    "MovieLensData",
    "RatingChunk",
    "read_movielens",
    "read_ratings_csv",
    "iter_rating_chunks",
    "ratings_file_layout",
    "detect_layout",
    "ML100K_GENRES",
]

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
    return _events_of(iter_rating_chunks(path, "csv"))


def _events_of(chunks: Iterable[RatingChunk]) -> list[RatingEvent]:
    events: list[RatingEvent] = []
    for c in chunks:
        events.extend(zip(c.users.tolist(), c.films.tolist(), c.stars.tolist(), c.timestamps.tolist()))
    return _sorted(events)


def _csv_rows(path: Path, header: tuple[str, ...], *, check_width: bool = True):
    """``(where, row)`` for each non-empty row of a checked CSV file with this header."""
    text = _read_text(path, "utf-8-sig")  # a byte-order mark (spreadsheets write one) is dropped
    _check_newline(path, text)
    reader = csv.reader(io.StringIO(text))
    try:
        found = next(reader, None)
        if found is None or [h.strip() for h in found[: len(header)]] != list(header):
            raise ImportFormatError(f"{path}:1: expected the header {','.join(header)}")
        for n, row in enumerate(reader, start=2):
            if not row:
                continue
            if check_width and len(row) != len(header):
                raise ImportFormatError(
                    f"{path}:{n}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}"
                )
            yield f"{path}:{n}", row
    except csv.Error as exc:  # e.g. a field over the csv module's limit (131,072 characters)
        raise ImportFormatError(f"{path}:{reader.line_num}: not a readable CSV row ({exc})") from None


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
    return _events_of(iter_rating_chunks(path, "tsv"))


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
    known = {f.id for f in films}
    for where, row in _csv_rows(path, ("movieId", "role", "person")):
        film, role, person = _int(row[0], where, "film id", MAX_FILM_ID), row[1].strip().lower(), row[2].strip()
        if film not in known:
            raise ImportFormatError(f"{where}: film {film} is not in the folder's film list")
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


# -- streaming: a ratings file of any size, a block at a time ------------------------------------
@dataclass(frozen=True)
class RatingChunk:
    """Checked ratings from one block of a file, in file order (not sorted)."""

    users: np.ndarray  # int64
    films: np.ndarray  # int64
    stars: np.ndarray  # float64, half steps from 0.5 to 5
    timestamps: np.ndarray  # float64 unix seconds
    nbytes: int  # bytes of the file this block covers (for a progress bar)

    def __len__(self) -> int:
        return len(self.users)


_HEADER = ("userId", "movieId", "rating", "timestamp")
_BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 16 << 20  # what one block reads: about 700,000 ratings.csv lines


def ratings_file_layout(path: Path) -> str:
    """``csv`` (ratings.csv: a userId,movieId,rating,timestamp header) or ``tsv`` (u.data)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline().removeprefix(_BOM)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read it ({exc.strerror})") from None
    return "tsv" if b"\t" in first and not first.startswith(b"userId") else "csv"


def iter_rating_chunks(path: Path, layout: str = "csv", *, block_bytes: int | None = None) -> Iterator[RatingChunk]:
    """The file's ratings a block at a time (memory stays flat for any file size), each row
    checked exactly as ``read_ratings_csv`` does: a bad row raises ``ImportFormatError`` naming
    the file and line. ``layout``: ``csv`` (with its header) or ``tsv`` (u.data, no header)."""
    path = Path(path)
    sep, encoding = ("," if layout == "csv" else "\t"), ("utf-8" if layout == "csv" else "latin-1")
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read it ({exc.strerror})") from None
    with fh:
        start = fh.read(4096)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start:
            # UTF-16 (a spreadsheet's "Unicode text") or binary: say so, not "truncated"
            raise ImportFormatError(
                f"{path}: not UTF-8 text (it looks like UTF-16 or a binary file): save it as CSV in UTF-8"
            )
        fh.seek(0, io.SEEK_END)
        if fh.tell():
            fh.seek(-1, io.SEEK_END)
            if fh.read(1) != b"\n":  # a file cut mid-line: the last record may be partial
                raise ImportFormatError(f"{path}: does not end with a newline; the file looks truncated")
        fh.seek(0)
        line = 1
        if layout == "csv":
            head = fh.readline()
            found = next(csv.reader([_decode(head.removeprefix(_BOM), path, encoding)]), None)
            if found is None or [h.strip() for h in found[:4]] != list(_HEADER):
                raise ImportFormatError(f"{path}:1: expected the header {','.join(_HEADER)}")
            line = 2
        rest = b""
        while block := fh.read(block_bytes or BLOCK_BYTES):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            body, rest = data[:cut], data[cut:]
            if body:
                chunk = _parse_block(body, path, line, sep, encoding)
                line += body.count(b"\n")
                yield chunk


def _decode(data: bytes, path: Path, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not valid {encoding} text ({exc.reason})") from None


def _parse_block(body: bytes, path: Path, first_line: int, sep: str, encoding: str) -> RatingChunk:
    """Polars parses and numpy checks the block; any doubt (a parse error, a value out of range,
    a blank line) re-reads it line by line, which names the first bad line or accepts it."""
    import polars as pl

    schema = {"u": pl.Int64, "f": pl.Int64, "s": pl.Float64, "t": pl.Float64}
    try:
        df = pl.read_csv(body, has_header=False, separator=sep, schema=schema, raise_if_empty=False)
    except Exception:  # any parse failure: the line-by-line reader says which line and why
        df = None
    if df is not None and df.height == body.count(b"\n") and df.null_count().sum_horizontal().item() == 0:
        u, f, s, t = (df[c].to_numpy() for c in "ufst")
        good = (
            (u >= 0).all()
            and ((f >= 0) & (f <= MAX_FILM_ID)).all()
            and ((s >= 0.5) & (s <= 5.0) & (s * 2 == np.round(s * 2))).all()
            and ((t >= MIN_TIMESTAMP) & (t < MAX_TIMESTAMP)).all()
        )
        if good:
            return RatingChunk(u, f, s, t, len(body))
    events: list[RatingEvent] = []
    text = _decode(body, path, encoding)
    rows: Iterable[list[str]] = (
        csv.reader(io.StringIO(text))
        if sep == ","
        else (ln.split("\t") if ln.strip() else [] for ln in text.split("\n")[:-1])
    )
    for n, row in enumerate(rows, start=first_line):
        if row:
            events.append(_rating_event(row, f"{path}:{n}"))
    columns = list(zip(*events)) or [(), (), (), ()]
    return RatingChunk(
        np.array(columns[0], np.int64),
        np.array(columns[1], np.int64),
        np.array(columns[2], np.float64),
        np.array(columns[3], np.float64),
        len(body),
    )
