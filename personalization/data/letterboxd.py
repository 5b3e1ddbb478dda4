"""A member's own history: Letterboxd's and IMDb's rating exports, matched and rated.

- Letterboxd, ``ratings.csv`` (or the export's ``.zip``, which holds it): ``Date, Name, Year,
  Letterboxd URI, Rating`` with Rating from 0.5 to 5 in half stars, Date ``YYYY-MM-DD``.
- IMDb, the ratings export: ``Const, Your Rating, Date Rated, Title, ..., Year`` (IMDb adds
  and moves columns over the years; they are found by name) with Your Rating from 1 to 10,
  halved into stars (7 -> 3.5).

Films are found by IMDb id where the file has one, else by normalised title and year
(``matching``). The whole file is read and checked before anything is written: a malformed line
is an ``ImportFormatError`` naming the file and line. The matched ratings go through the normal
rating path (``Service.rate_many``) dated as in the file; re-importing the same file changes
nothing, and a film rated since in the bot keeps its newer rating.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from personalization.core.signals import check_stars
from personalization.data.links import imdb_id
from personalization.data.matching import AMBIGUOUS, MATCHED, NOT_FOUND, Match, Matcher
from personalization.errors import ImportFormatError, InvalidRating

__all__ = ["HistoryLine", "HistoryReport", "read_history", "match_history", "import_history", "MAX_BYTES"]

LETTERBOXD = ("Date", "Name", "Year", "Letterboxd URI", "Rating")
IMDB = ("Const", "Your Rating", "Date Rated", "Title", "Year")
MAX_BYTES = 20_000_000  # an export of tens of thousands of ratings is a few MB


@dataclass(frozen=True)
class HistoryLine:
    line: int
    title: str
    year: int | None
    stars: float
    at: float  # unix seconds (the date, at midnight UTC)
    imdb_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass
class HistoryReport:
    """What an import matched, could not decide, and could not find."""

    source: str  # "letterboxd" or "imdb"
    matched: list[tuple[HistoryLine, Match]] = field(default_factory=list)
    ambiguous: list[tuple[HistoryLine, Match]] = field(default_factory=list)
    not_found: list[HistoryLine] = field(default_factory=list)
    stored: int | None = None  # ratings written (None: not written yet, or a dry run)
    unchanged: int = 0

    def summary(self, examples: int = 5) -> str:
        """A few lines for a person: counts, then examples of what was not matched."""
        by_id = sum(1 for _, m in self.matched if m.how == "imdb id")
        lines = [
            f"{len(self.matched)} matched ({by_id} by IMDb id, {len(self.matched) - by_id} by title and year), "
            f"{len(self.ambiguous)} ambiguous, {len(self.not_found)} not found"
        ]
        if self.stored is not None:
            lines[0] += f"; {self.stored} rating{'' if self.stored == 1 else 's'} stored"
            if self.unchanged:
                lines[0] += f", {self.unchanged} already there"
        if self.ambiguous:
            shown = ", ".join(h.label for h, _ in self.ambiguous[:examples])
            lines.append(f"ambiguous (several films share title and year): {shown}")
        if self.not_found:
            shown = ", ".join(h.label for h in self.not_found[:examples])
            more = f" and {len(self.not_found) - examples} more" if len(self.not_found) > examples else ""
            lines.append(f"not found in the catalogue: {shown}{more}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "matched": len(self.matched),
            "ambiguous": [h.label for h, _ in self.ambiguous],
            "not_found": [h.label for h in self.not_found],
            "stored": self.stored,
            "unchanged": self.unchanged,
        }


def _text(data: bytes, name: str) -> str:
    if data[:2] == b"PK":  # Letterboxd's export is a zip: its ratings.csv is the history
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                inner = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "ratings.csv"]
                if not inner:
                    raise ImportFormatError(f"{name}: a zip without ratings.csv; send Letterboxd's ratings.csv")
                data = archive.read(min(inner, key=len))
        except zipfile.BadZipFile:
            raise ImportFormatError(f"{name}: not a readable zip file") from None
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (spreadsheets write one) is dropped
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_history(data: bytes | Path, name: str | None = None) -> tuple[str, list[HistoryLine]]:
    """``(source, lines)`` from a Letterboxd or IMDb export, told apart by their headers."""
    if isinstance(data, Path):
        name = name or str(data)
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise ImportFormatError(f"{name}: cannot read it ({exc.strerror})") from None
    name = name or "the file"
    if len(data) > MAX_BYTES:
        raise ImportFormatError(f"{name}: larger than {MAX_BYTES // 1_000_000} MB; is this a ratings export?")
    reader = csv.reader(io.StringIO(_text(data, name), newline=""))
    header = [h.strip() for h in next(reader, [])]
    if all(h in header for h in LETTERBOXD):
        source, columns = "letterboxd", LETTERBOXD
    elif all(h in header for h in IMDB):
        source, columns = "imdb", IMDB
    else:
        raise ImportFormatError(
            f"{name}:1: not a ratings export; expected Letterboxd's header ({', '.join(LETTERBOXD)}) "
            f"or IMDb's ({', '.join(IMDB)}, ...)"
        )
    at = {c: header.index(c) for c in columns}
    lines = []
    for n, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        where = f"{name}:{n}"
        if len(row) != len(header):
            raise ImportFormatError(f"{where}: expected {len(header)} comma-separated fields, got {len(row)}")
        cell = {c: row[i].strip() for c, i in at.items()}
        if source == "letterboxd":
            lines.append(_letterboxd(cell, n, where))
        else:
            lines.append(_imdb(cell, n, where))
    return source, lines


def _letterboxd(cell: dict[str, str], n: int, where: str) -> HistoryLine:
    try:
        stars = check_stars(cell["Rating"])
    except InvalidRating:
        raise ImportFormatError(f"{where}: Rating must be 0.5 to 5 in half stars, got {cell['Rating']!r}") from None
    return HistoryLine(n, _title(cell["Name"], where), _year(cell["Year"], where), stars, _date(cell["Date"], where))


def _imdb(cell: dict[str, str], n: int, where: str) -> HistoryLine:
    raw = cell["Your Rating"]
    if not raw.isdigit() or not 1 <= int(raw) <= 10:
        raise ImportFormatError(f"{where}: Your Rating must be a whole number from 1 to 10, got {raw!r}")
    tconst = imdb_id(cell["Const"]) if cell["Const"].startswith("tt") else None
    if tconst is None:
        raise ImportFormatError(f"{where}: Const must be an IMDb id such as tt0111161, got {cell['Const']!r}")
    return HistoryLine(
        n,
        _title(cell["Title"], where),
        _year(cell["Year"], where),
        int(raw) / 2,
        _date(cell["Date Rated"], where),
        tconst,
    )


def _title(value: str, where: str) -> str:
    if not value:
        raise ImportFormatError(f"{where}: empty title")
    return value


def _year(value: str, where: str) -> int | None:
    if not value:
        return None
    if not (value.isdigit() and len(value) == 4):
        raise ImportFormatError(f"{where}: Year must be four digits or empty, got {value!r}")
    return int(value)


def _date(value: str, where: str) -> float:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ImportFormatError(f"{where}: the date must be YYYY-MM-DD, got {value!r}") from None


def match_history(source: str, lines: Sequence[HistoryLine], matcher: Matcher) -> HistoryReport:
    report = HistoryReport(source)
    for line in lines:
        found = matcher.match(line.title, line.year, line.imdb_id)
        if found.status == MATCHED:
            report.matched.append((line, found))
        elif found.status == AMBIGUOUS:
            report.ambiguous.append((line, found))
        else:
            assert found.status == NOT_FOUND
            report.not_found.append(line)
    return report


def import_history(
    service: Any, user_id: int, data: bytes | Path, name: str | None = None, *, dry_run: bool = False
) -> HistoryReport:
    """Read, match and rate a member's export through ``service.rate_many`` (one call: all the
    ratings, or, when the file is malformed, none). A film listed twice keeps its latest rating."""
    source, lines = read_history(data, name)
    imdb_ids = [line.imdb_id for line in lines if line.imdb_id]
    matcher = Matcher(service.catalogue().films, service.film_ids_by_external_id("imdb", imdb_ids))
    report = match_history(source, lines, matcher)
    if dry_run:
        return report
    latest: dict[int, tuple[int, int, float, float]] = {}
    for line, found in sorted(report.matched, key=lambda lm: lm[0].at):
        assert found.film is not None
        latest[found.film] = (user_id, found.film, line.stars, line.at)
    events = sorted(latest.values(), key=lambda e: e[3])
    result = service.rate_many(events) if events else None
    report.stored = result.applied if result else 0
    report.unchanged = result.unchanged if result else 0
    return report
