"""MovieLens links.csv: external ids stored, and a MovieLens history meeting an IMDb catalogue."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from format_fixtures import imdb_dir

from personalization.cli import main
from personalization.core.catalogue import Film
from personalization.data.importers import read_movielens
from personalization.data.links import imdb_id, renumber
from personalization.errors import ImportFormatError

MOVIES = (
    'movieId,title,genres\n1,"Shawshank Redemption, The (1994)",Drama\n'
    '2,"Godfather, The (1972)",Crime|Drama\n3,Obscure Short (1990),Drama\n'
)
LINKS = "\ufeffmovieId,imdbId,tmdbId\n1,0111161,278\n2,0068646,\n3,,5555\n"
RATINGS = "userId,movieId,rating,timestamp\n10,1,5.0,1000000000\n10,2,4.0,1000000001\n11,3,2.5,1000000002\n"


def movielens_dir(tmp_path, links=LINKS):
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "movies.csv").write_text(MOVIES)
    (folder / "ratings.csv").write_text(RATINGS)
    (folder / "links.csv").write_text(links, encoding="utf-8")
    return folder


def test_imdb_id_forms():
    assert imdb_id("0111161") == imdb_id("111161") == imdb_id("tt0111161") == "tt0111161"
    assert imdb_id("tt12345678") == "tt12345678"
    assert imdb_id("nm0000151") is None and imdb_id("") is None


def test_links_are_kept_in_the_films_metadata(tmp_path):
    films = {f.id: f for f in read_movielens(movielens_dir(tmp_path)).films}
    assert films[1].metadata == {"movielens_id": "1", "imdb_id": "tt0111161", "tmdb_id": "278"}
    assert films[2].metadata == {"movielens_id": "2", "imdb_id": "tt0068646"}  # empty tmdbId: no link
    assert films[3].metadata == {"movielens_id": "3", "tmdb_id": "5555"}


@pytest.mark.parametrize(
    "links, message",
    [
        ("movieId,imdb,tmdbId\n1,0111161,278\n", r"links\.csv:1: expected the header movieId,imdbId,tmdbId"),
        ("movieId,imdbId,tmdbId\n1,0111161,278\nx,0068646,\n", r"links\.csv:3: movieId must be a whole number"),
        ("movieId,imdbId,tmdbId\n1,tt01x1161,278\n", r"links\.csv:2: imdbId must be digits"),
        ("movieId,imdbId,tmdbId\n1,0111161\n", r"links\.csv:2: expected 3 fields"),
    ],
)
def test_malformed_links_name_the_line(tmp_path, links, message):
    with pytest.raises(ImportFormatError, match=message):
        read_movielens(movielens_dir(tmp_path, links))


def test_renumber_by_imdb_number_known_ids_first_and_merges_duplicates():
    films = [
        Film(1, "A", metadata={"imdb_id": "tt0111161"}),
        Film(2, "B", metadata={"imdb_id": "tt0068646"}),
        Film(3, "C"),
        Film(4, "A again", metadata={"imdb_id": "tt0111161"}),
    ]
    ratings = [(10, 1, 5.0, 1.0), (10, 4, 4.0, 2.0), (11, 3, 3.0, 3.0)]
    out, moved = renumber(films, ratings, {"tt0068646": 99})
    assert sorted(f.id for f in out) == [3, 99, 111161]
    assert moved == [(10, 111161, 5.0, 1.0), (10, 111161, 4.0, 2.0), (11, 3, 3.0, 3.0)]
    kept, _ = renumber(films, ratings, {}, keep_ids=True)
    assert sorted(f.id for f in kept) == [1, 2, 3]
    with pytest.raises(ImportFormatError, match="would both be film 111161"):
        renumber([*films, Film(111161, "No IMDb id")], [], {})


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))

    def invoke(*args):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_a_movielens_history_meets_an_imdb_catalogue(run, tmp_path, service):
    out = run("import", "imdb", imdb_dir(tmp_path))
    assert "4 films imported (movie, tvMovie), 4 IMDb ids linked" in out
    out = run("import", "movielens", movielens_dir(tmp_path))
    assert "2 films already in the catalogue by IMDb id" in out
    service.invalidate()
    shawshank = service.film(111161)
    assert shawshank.title == "The Shawshank Redemption"  # IMDb's title kept, not "Shawshank Redemption, The"
    assert shawshank.directors == ("Frank Darabont",)
    assert service.history(10)[0] == {111161: 5.0, 68646: 4.0}  # MovieLens ratings on the IMDb films
    assert service.film(3).title == "Obscure Short"  # no IMDb id: keeps its movieId
    assert service.external_ids(111161) == {"imdb": "tt0111161", "movielens": "1", "tmdb": "278"}
    assert service.film_ids_by_external_id("movielens", ["1", "2", "3"]) == {"1": 111161, "2": 68646, "3": 3}
    (tmp_path / "again").mkdir()
    assert "0 new or changed, 3 unchanged" in run("import", "movielens", movielens_dir(tmp_path / "again"))


def test_imdb_import_into_a_database_that_kept_movielens_ids(run, tmp_path, service):
    run("import", "movielens", "--keep-movielens-ids", movielens_dir(tmp_path))
    run("import", "imdb", imdb_dir(tmp_path))
    service.invalidate()
    assert service.film(1).title == "The Shawshank Redemption"  # the IMDb film took the stored id
    assert service.film_ids_by_external_id("imdb", ["tt0111161"]) == {"tt0111161": 1}
    assert service.history(10)[0] == {1: 5.0, 2: 4.0}


def test_history_commands_and_a_malformed_file(run, tmp_path, service, db_url, monkeypatch):
    from format_fixtures import IMDB_RATINGS, LETTERBOXD

    run("import", "imdb", imdb_dir(tmp_path))
    (tmp_path / "lb.csv").write_text(LETTERBOXD, encoding="utf-8")
    (tmp_path / "imdb.csv").write_text(IMDB_RATINGS, encoding="utf-8")
    assert "dry run" in run("import", "letterboxd", 5, tmp_path / "lb.csv", "--dry-run")
    assert service.history(5)[0] == {}
    out = run("import", "letterboxd", 5, tmp_path / "lb.csv")
    assert "3 matched" in out and "1 not found" in out and "Nowhere Film (1999)" in out
    out = run("import", "imdb-ratings", 6, tmp_path / "imdb.csv")
    assert "2 matched (2 by IMDb id" in out
    wrong = CliRunner().invoke(main, ["import", "imdb-ratings", "6", str(tmp_path / "lb.csv")])
    assert wrong.exit_code == 2 and "Letterboxd export; use `cinesync import letterboxd`" in wrong.output
    (tmp_path / "bad.csv").write_text(LETTERBOXD + "2023-01-01,X,2000,u,9\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["import", "letterboxd", "9", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 2 and "bad.csv:6: Rating must be" in bad.output
    assert service.history(9)[0] == {}


def test_import_imdb_refuses_an_unknown_title_type_and_names_the_known(db_url, tmp_path, monkeypatch, service):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["import", "imdb", str(imdb_dir(tmp_path)), "--types", "movie,tvmovie"])
    assert result.exit_code == 2, result.output
    assert "unknown titleType tvmovie" in result.output and "tvMovie" in result.output
    assert service.catalogue().films == []  # nothing imported
