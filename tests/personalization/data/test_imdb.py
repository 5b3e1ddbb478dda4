"""IMDb's dataset files: the catalogue read from them, and malformed files refused by line."""

from __future__ import annotations

import pytest
from format_fixtures import BASICS, CREW, NAMES, PRINCIPALS, RATINGS, imdb_dir

from personalization.data.imdb import ImdbOptions, read_imdb
from personalization.errors import ImportFormatError


def films_of(folder, **options):
    return {f.metadata["imdb_id"]: f for batch in read_imdb(folder, ImdbOptions(**options)).films() for f in batch}


def test_movies_and_tv_movies_with_directors_actors_in_billing_order(tmp_path):
    films = films_of(imdb_dir(tmp_path))
    # movie and tvMovie only: no short, no series, no adult title
    assert sorted(films) == ["tt0068646", "tt0111161", "tt0119081", "tt0211915"]
    shawshank = films["tt0111161"]
    assert shawshank.id == 111161  # the number of the IMDb id
    assert (shawshank.title, shawshank.year, shawshank.genres) == ("The Shawshank Redemption", 1994, ("Drama",))
    assert shawshank.directors == ("Frank Darabont",)
    assert shawshank.actors == ("Tim Robbins", "Morgan Freeman", "Bob Gunton")  # the director is no actor
    assert shawshank.metadata == {
        "imdb_id": "tt0111161",
        "source": "imdb",
        "runtime_minutes": 142,
        "imdb_rating": 9.3,
        "imdb_votes": 2900000,
    }
    # ordering, not file order: Brando (1) before Pacino (10)
    assert films["tt0068646"].actors == ("Marlon Brando", "Al Pacino")
    assert films["tt0211915"].title == "Amélie"  # UTF-8 kept
    quoted = films["tt0119081"]  # \N everywhere; quotes are part of the title (no quoting in IMDb files)
    assert (quoted.title, quoted.year, quoted.genres, quoted.directors, quoted.actors) == (
        'A "Quoted" TV Film',
        None,
        (),
        (),
        (),
    )
    assert "runtime_minutes" not in quoted.metadata


def test_options_more_types_min_votes_first_n_actors_and_known_ids(tmp_path):
    folder = imdb_dir(tmp_path)
    assert sorted(films_of(folder, types=("movie", "tvSeries"), min_votes=1000)) == [
        "tt0068646",
        "tt0111161",
        "tt0211915",
        "tt0903747",
    ]
    assert films_of(folder, actors=1)["tt0111161"].actors == ("Tim Robbins",)
    assert "tt9999991" in films_of(folder, adult=True)
    known = {"tt0111161": 318}  # already in the database as MovieLens film 318
    batch = next(read_imdb(folder).films(known))
    assert {f.metadata["imdb_id"]: f.id for f in batch}["tt0111161"] == 318


def test_only_title_basics_is_required(tmp_path):
    folder = imdb_dir(tmp_path)
    for name in ("title.crew.tsv.gz", "title.principals.tsv.gz", "name.basics.tsv.gz", "title.ratings.tsv.gz"):
        (folder / name).unlink()
    films = films_of(folder)
    assert films["tt0111161"].directors == () and films["tt0111161"].year == 1994
    with pytest.raises(ImportFormatError, match="minimum vote count needs title.ratings"):
        read_imdb(folder, ImdbOptions(min_votes=10))


def test_crew_without_names_is_refused(tmp_path):
    folder = imdb_dir(tmp_path)
    (folder / "name.basics.tsv.gz").unlink()
    with pytest.raises(ImportFormatError, match="need name.basics.tsv.gz"):
        read_imdb(folder)


def _with_line(lines, n, text):
    return lines[:n] + [text] + lines[n:]


@pytest.mark.parametrize(
    "replace, message",
    [
        (
            {"title_basics": ["tconst\ttitleType\tprimaryTitle"] + BASICS[1:]},
            r"title\.basics\.tsv\.gz:1: expected the header",
        ),
        (
            {"title_basics": _with_line(BASICS, 3, "tt0000009\tmovie\tShort line")},
            r"title\.basics\.tsv\.gz:4: expected 9 tab",
        ),
        (
            {"title_basics": _with_line(BASICS, 2, "tt00x\tmovie\tX\tX\t0\t1990\t\\N\t90\tDrama")},
            r"title\.basics\.tsv\.gz:3: tconst must look like",
        ),
        (
            {"title_basics": _with_line(BASICS, 5, "tt0000010\tmovie\tX\tX\t0\t19x0\t\\N\t90\tDrama")},
            r"title\.basics\.tsv\.gz:6: startYear must be a year",
        ),
        ({"title_ratings": _with_line(RATINGS, 2, "tt0111161\tnine\t12")}, r"title\.ratings\.tsv\.gz:3: averageRating"),
        ({"title_crew": _with_line(CREW, 1, "tt0111161\tDarabont\t\\N")}, r"title\.crew\.tsv\.gz:2: directors must be"),
        (
            {"title_principals": _with_line(PRINCIPALS, 4, "tt0111161\tfirst\tnm0000209\tactor\t\\N\t\\N")},
            r"title\.principals\.tsv\.gz:5: ordering must be",
        ),
        (
            {"title_principals": PRINCIPALS + ["tt0111161\t9\tnm0000209\tactor\t\\N\t\\N\textra"]},
            r"title\.principals\.tsv\.gz:11: expected 6 tab",
        ),
        ({"name_basics": _with_line(NAMES, 3, "nm0000209\tTim Robbins")}, r"name\.basics\.tsv\.gz:4: expected 6 tab"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path, replace, message):
    with pytest.raises(ImportFormatError, match=message):
        read_imdb(imdb_dir(tmp_path, **replace))


def test_a_truncated_or_uncompressed_file_is_refused(tmp_path):
    folder = imdb_dir(tmp_path)
    data = (folder / "title.principals.tsv.gz").read_bytes()
    (folder / "title.principals.tsv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFormatError, match=r"title\.principals\.tsv\.gz: "):
        read_imdb(folder)
    (folder / "title.crew.tsv.gz").write_text("\n".join(CREW) + "\n")  # forgot to keep it gzipped
    with pytest.raises(ImportFormatError, match=r"title\.crew\.tsv\.gz: not a readable gzip"):
        read_imdb(folder)
