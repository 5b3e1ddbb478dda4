"""A member's Letterboxd or IMDb export: read, matched by IMDb id or title and year, rated."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from format_fixtures import IMDB_RATINGS, LETTERBOXD

from personalization.core.catalogue import Film
from personalization.data.letterboxd import import_history, read_history
from personalization.data.matching import AMBIGUOUS, MATCHED, NOT_FOUND, Matcher, normalise_title
from personalization.errors import ImportFormatError

CATALOGUE = [
    Film(111161, "The Shawshank Redemption", 1994, ("Drama",), metadata={"imdb_id": "tt0111161"}),
    Film(68646, "The Godfather", 1972, ("Crime",), metadata={"imdb_id": "tt0068646"}),
    Film(211915, "Amélie", 2001, ("Comedy",), metadata={"imdb_id": "tt0211915"}),
    Film(1, "Hamlet", 1996, ("Drama",)),
    Film(2, "Hamlet", 1996, ("Drama",)),  # two films, one title and year: ambiguous
    Film(3, "Leon: The Professional", 1994, ("Action",)),
]


def day(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_letterboxd_ratings_csv_with_bom_crlf_and_quotes():
    source, lines = read_history(LETTERBOXD.encode(), "ratings.csv")
    assert source == "letterboxd"
    assert [(h.line, h.title, h.year, h.stars, h.imdb_id) for h in lines] == [
        (2, "The Shawshank Redemption", 1994, 5.0, None),
        (3, "Godfather, The", 1972, 4.5, None),
        (4, "Amelie", 2001, 3.5, None),
        (5, "Nowhere Film", 1999, 2.0, None),
    ]
    assert lines[0].at == day("2019-03-02")


def test_letterboxd_export_zip_is_read_for_its_ratings_csv():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("watched.csv", "Date,Name,Year,Letterboxd URI\n")
        archive.writestr("ratings.csv", LETTERBOXD)
    assert len(read_history(buffer.getvalue(), "letterboxd-export.zip")[1]) == 4


def test_imdb_ratings_export_halves_the_ten_point_scale():
    source, lines = read_history(IMDB_RATINGS.encode(), "ratings.csv")
    assert source == "imdb"
    assert [(h.imdb_id, h.stars, h.year) for h in lines] == [
        ("tt0111161", 5.0, 1994),
        ("tt0068646", 3.5, 1972),
        ("tt7777777", 4.0, 2015),
    ]
    assert lines[1].at == day("2018-06-02")


@pytest.mark.parametrize(
    "text, message",
    [
        ("Date,Name,Year\n2019-01-01,X,1999\n", r"ratings\.csv:1: not a ratings export"),
        (
            LETTERBOXD + "2023-01-01,Bad Rating,2000,https://boxd.it/x,4.3\r\n",
            r"ratings\.csv:6: Rating must be 0\.5 to 5",
        ),
        (
            LETTERBOXD + "01/02/2023,Bad Date,2000,https://boxd.it/x,4\r\n",
            r"ratings\.csv:6: the date must be YYYY-MM-DD",
        ),
        (
            LETTERBOXD + "2023-01-01,Too,Many,Fields,4,5\r\n",
            r"ratings\.csv:6: expected 5 comma-separated fields, got 6",
        ),
        (LETTERBOXD + "2023-01-01,Odd Year,20x0,https://boxd.it/x,4\r\n", r"ratings\.csv:6: Year must be four digits"),
        (
            IMDB_RATINGS.replace(",10,2018", ",11,2018"),
            r"ratings\.csv:2: Your Rating must be a whole number from 1 to 10",
        ),
        (IMDB_RATINGS.replace("tt0068646,7", "0068646,7"), r"ratings\.csv:3: Const must be an IMDb id"),
    ],
)
def test_malformed_exports_name_the_file_and_line(text, message):
    with pytest.raises(ImportFormatError, match=message):
        read_history(text.encode(), "ratings.csv")


def test_not_utf8_and_a_zip_without_ratings_are_refused():
    with pytest.raises(ImportFormatError, match="export.csv: not UTF-8"):
        read_history(b"Date,Name\n\xff\xfe", "export.csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("diary.csv", "x")
    with pytest.raises(ImportFormatError, match="without ratings.csv"):
        read_history(buffer.getvalue(), "export.zip")


@pytest.mark.parametrize(
    "a, b",
    [
        ("The Godfather", "Godfather, The"),
        ("Amélie", "Amelie"),
        ("Léon: The Professional", "Leon - The Professional"),
        ("A Beautiful Mind", "Beautiful Mind, A"),
        ("Fast & Furious", "Fast and Furious"),
        ("L'Auberge espagnole", "Auberge espagnole, L'"),
    ],
)
def test_normalised_titles_agree(a, b):
    assert normalise_title(a) == normalise_title(b)


def test_matching_by_imdb_id_then_title_and_year():
    matcher = Matcher(CATALOGUE, {"tt0000003": 3})
    assert matcher.match("Anything", 1800, "tt0111161").film == 111161  # the id wins over the title
    assert (matcher.match("whatever", None, "tt0000003").film, matcher.match("x", None, "tt0000003").how) == (
        3,
        "imdb id",
    )
    godfather = matcher.match("Godfather, The", 1972)
    assert (godfather.status, godfather.film, godfather.how) == (MATCHED, 68646, "title and year")
    assert matcher.match("Amelie", 2002).how == "title, year off by one"
    assert matcher.match("The Godfather", 1990).status == NOT_FOUND  # right title, wrong film
    hamlet = matcher.match("Hamlet", 1996)
    assert (hamlet.status, hamlet.candidates) == (AMBIGUOUS, (1, 2))
    assert matcher.match("Léon - The Professional", None).film == 3


def test_import_history_rates_with_original_dates_and_reports(service):
    service.import_films(CATALOGUE)
    report = import_history(service, 7, LETTERBOXD.encode(), "ratings.csv")
    assert [h.title for h, _ in report.matched] == ["The Shawshank Redemption", "Godfather, The", "Amelie"]
    assert [h.title for h in report.not_found] == ["Nowhere Film"]
    assert report.stored == 3
    assert service.history(7)[0] == {111161: 5.0, 68646: 4.5, 211915: 3.5}
    text = report.summary()
    assert "3 matched (0 by IMDb id, 3 by title and year), 0 ambiguous, 1 not found; 3 ratings stored" in text
    assert "Nowhere Film (1999)" in text
    with service.db.pool.connection() as conn:
        dates = conn.execute("SELECT movie_id, rated_at FROM ratings WHERE user_id = 7 ORDER BY rated_at").fetchall()
    assert [d for _, d in dates] == [
        datetime(2019, 3, 2, tzinfo=UTC),
        datetime(2020, 1, 15, tzinfo=UTC),
        datetime(2021, 7, 4, tzinfo=UTC),
    ]
    again = import_history(service, 7, LETTERBOXD.encode(), "ratings.csv")
    assert (again.stored, again.unchanged) == (0, 3)  # re-importing changes nothing


def test_imdb_export_matches_by_id_and_a_malformed_file_writes_nothing(service):
    service.import_films(CATALOGUE)
    service.store_external_ids(CATALOGUE)
    bad = IMDB_RATINGS + "tt0211915,12,2018-08-01,Amélie,Amélie,u,Movie,8.3,122,2001,Comedy,1,2001-04-25,J\n"
    with pytest.raises(ImportFormatError, match="export.csv:5: Your Rating"):
        import_history(service, 8, bad.encode(), "export.csv")
    assert service.history(8)[0] == {}  # nothing written
    report = import_history(service, 8, IMDB_RATINGS.encode(), "export.csv")
    assert [m.how for _, m in report.matched] == ["imdb id", "imdb id"]
    assert [h.imdb_id for h in report.not_found] == ["tt7777777"]
    assert service.history(8)[0] == {111161: 5.0, 68646: 3.5}
