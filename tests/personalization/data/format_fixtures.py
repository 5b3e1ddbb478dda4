"""Small files in the exact documented formats: IMDb's datasets, MovieLens links, Letterboxd and
IMDb rating exports."""

from __future__ import annotations

import gzip
from pathlib import Path

BASICS = [
    "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres",
    "tt0111161\tmovie\tThe Shawshank Redemption\tThe Shawshank Redemption\t0\t1994\t\\N\t142\tDrama",
    "tt0068646\tmovie\tThe Godfather\tThe Godfather\t0\t1972\t\\N\t175\tCrime,Drama",
    "tt0211915\tmovie\tAmélie\tLe fabuleux destin d'Amélie Poulain\t0\t2001\t\\N\t122\tComedy,Romance",
    "tt0000001\tshort\tCarmencita\tCarmencita\t0\t1894\t\\N\t1\tDocumentary,Short",
    "tt0903747\ttvSeries\tBreaking Bad\tBreaking Bad\t0\t2008\t2013\t49\tCrime,Drama,Thriller",
    'tt0119081\ttvMovie\tA "Quoted" TV Film\tA "Quoted" TV Film\t0\t\\N\t\\N\t\\N\t\\N',
    "tt9999991\tmovie\tAdult Film\tAdult Film\t1\t2010\t\\N\t90\tAdult",
]
RATINGS = [
    "tconst\taverageRating\tnumVotes",
    "tt0111161\t9.3\t2900000",
    "tt0068646\t9.2\t2000000",
    "tt0211915\t8.3\t800000",
    "tt0119081\t6.1\t12",
    "tt0903747\t9.5\t2100000",
]
CREW = [
    "tconst\tdirectors\twriters",
    "tt0111161\tnm0001104\tnm0000175,nm0001104",
    "tt0068646\tnm0000338\tnm0701374,nm0000338",
    "tt0211915\tnm0436220\tnm0436220,nm0524158",
    "tt0119081\t\\N\t\\N",
    "tt0903747\t\\N\tnm0319213",
]
PRINCIPALS = [
    "tconst\tordering\tnconst\tcategory\tjob\tcharacters",
    'tt0111161\t1\tnm0000209\tactor\t\\N\t["Andy Dufresne"]',
    "tt0111161\t2\tnm0000151\tactor\t\\N\t[\"Ellis Boyd 'Red' Redding\"]",
    "tt0111161\t3\tnm0001104\tdirector\t\\N\t\\N",
    'tt0111161\t4\tnm0348409\tactor\t\\N\t["Heywood"]',
    "tt0068646\t2\tnm0000338\tdirector\t\\N\t\\N",
    'tt0068646\t10\tnm0000199\tactor\t\\N\t["Michael"]',
    'tt0068646\t1\tnm0000008\tactor\t\\N\t["Don Vito Corleone"]',
    'tt0211915\t1\tnm0851582\tactress\t\\N\t["Amélie Poulain"]',
    'tt0903747\t1\tnm0186505\tactor\t\\N\t["Walter White"]',
]
NAMES = [
    "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles",
    "nm0001104\tFrank Darabont\t1959\t\\N\tdirector,writer,producer\ttt0111161",
    "nm0000209\tTim Robbins\t1958\t\\N\tactor\ttt0111161",
    "nm0000151\tMorgan Freeman\t1937\t\\N\tactor,producer\ttt0111161",
    "nm0348409\tBob Gunton\t1945\t\\N\tactor\ttt0111161",
    "nm0000338\tFrancis Ford Coppola\t1939\t\\N\tdirector\ttt0068646",
    "nm0000008\tMarlon Brando\t1924\t2004\tactor\ttt0068646",
    "nm0000199\tAl Pacino\t1940\t\\N\tactor\ttt0068646",
    "nm0436220\tJean-Pierre Jeunet\t1953\t\\N\tdirector\ttt0211915",
    "nm0851582\tAudrey Tautou\t1976\t\\N\tactress\ttt0211915",
    "nm0186505\tBryan Cranston\t1956\t\\N\tactor\ttt0903747",
]
IMDB_FILES = {
    "title.basics.tsv.gz": BASICS,
    "title.ratings.tsv.gz": RATINGS,
    "title.crew.tsv.gz": CREW,
    "title.principals.tsv.gz": PRINCIPALS,
    "name.basics.tsv.gz": NAMES,
}


def write_gz(path: Path, lines: list[str]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


def imdb_dir(tmp: Path, **replace: list[str]) -> Path:
    """IMDb's five files in ``tmp/imdb``; ``replace`` swaps a file's lines (``title_basics=...``)."""
    folder = tmp / "imdb"
    folder.mkdir(exist_ok=True)
    for name, lines in IMDB_FILES.items():
        key = name.removesuffix(".tsv.gz").replace(".", "_")
        write_gz(folder / name, replace.get(key, lines))
    return folder


LETTERBOXD = (
    "\ufeffDate,Name,Year,Letterboxd URI,Rating\r\n"
    "2019-03-02,The Shawshank Redemption,1994,https://boxd.it/29Wq,5\r\n"
    '2020-01-15,"Godfather, The",1972,https://boxd.it/2aHi,4.5\r\n'
    "2021-07-04,Amelie,2001,https://boxd.it/1Amg,3.5\r\n"
    "2022-12-24,Nowhere Film,1999,https://boxd.it/zzzz,2\r\n"
)
IMDB_RATINGS = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
    "Genres,Num Votes,Release Date,Directors\n"
    "tt0111161,10,2018-05-01,The Shawshank Redemption,The Shawshank Redemption,"
    "https://www.imdb.com/title/tt0111161/,Movie,9.3,142,1994,Drama,2900000,1994-09-23,Frank Darabont\n"
    "tt0068646,7,2018-06-02,The Godfather,The Godfather,https://www.imdb.com/title/tt0068646/,Movie,9.2,175,1972,"
    '"Crime, Drama",2000000,1972-03-24,Francis Ford Coppola\n'
    "tt7777777,8,2018-07-03,Unknown Film,Unknown Film,https://www.imdb.com/title/tt7777777/,Movie,7.0,90,2015,"
    "Drama,100,2015-01-01,Someone\n"
)
