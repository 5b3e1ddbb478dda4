"""A deterministic synthetic catalogue and rating stream (no download needed).

Users have hidden tastes (a few loved genres and directors, a personal rating bias); films have
genres, a director, a cast, a year, a popularity and a quality. Who rates what follows popularity
and taste, and the stars follow taste + quality + bias + noise, so a model that learns taste can
be told apart from one that only counts. The same seed gives the same data on every machine.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from personalization.core.base_models import Ratings
from personalization.data.importers import ML100K_GENRES

__all__ = ["GENRES", "SyntheticData", "generate", "write_movielens"]

GENRES = ML100K_GENRES[1:]  # MovieLens's genres, without its 'unknown'
_ADJ = (
    "Silent",
    "Crimson",
    "Last",
    "Hidden",
    "Broken",
    "Golden",
    "Midnight",
    "Lost",
    "Wild",
    "Distant",
    "Electric",
    "Frozen",
    "Burning",
    "Secret",
    "Endless",
    "Little",
    "Iron",
    "Pale",
)
_NOUN = (
    "River",
    "Empire",
    "Garden",
    "Horizon",
    "Letter",
    "Machine",
    "Harbor",
    "Kingdom",
    "Stranger",
    "Summer",
    "Forest",
    "Promise",
    "Signal",
    "Voyage",
    "Mirror",
    "Island",
    "Witness",
    "Orchard",
    "Frontier",
    "Lantern",
)
_FIRST = (
    "Ada",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Maya",
    "Nikolai",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tamar",
)
_LAST = (
    "Abara",
    "Bergman",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fujita",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhou",
)


@dataclass(frozen=True)
class SyntheticData:
    films: list[dict]  # id, title, year, genres, directors, actors
    ratings: Ratings  # time-ordered
    tastes: np.ndarray  # users x genres: the hidden genre tastes (for tests)


def _person(rng, i: int) -> str:
    return f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST)) % len(_LAST)]}" + (
        f" {i // (len(_FIRST) * len(_LAST)) + 1}" if i >= len(_FIRST) * len(_LAST) else ""
    )


def generate(n_users: int = 300, n_films: int = 2000, mean_ratings: int = 60, seed: int = 7) -> SyntheticData:
    if min(n_users, n_films, mean_ratings) < 1 or seed < 0:
        raise ValueError(
            f"n_users, n_films and mean_ratings must be >= 1 and seed >= 0, got {n_users}, "
            f"{n_films}, {mean_ratings} and {seed}"
        )
    rng = np.random.default_rng(seed)
    g = len(GENRES)
    genre_pop = 1.0 / np.arange(1, g + 1) ** 0.6
    genre_pop = rng.permutation(genre_pop / genre_pop.sum())
    n_directors = max(5, n_films // 5)
    n_actors = max(20, n_films)
    films, film_genres, film_director = [], np.zeros((n_films, g)), np.zeros(n_films, np.int64)
    actor_pop = 1.0 / np.arange(1, n_actors + 1) ** 0.8
    actor_pop /= actor_pop.sum()
    for f in range(n_films):
        k = rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2])
        gs = rng.choice(g, size=k, replace=False, p=genre_pop)
        film_genres[f, gs] = 1
        d = int(rng.zipf(1.6) - 1) % n_directors
        film_director[f] = d
        cast = rng.choice(n_actors, size=int(rng.integers(3, 9)), replace=False, p=actor_pop)
        year = int(np.clip(2024 - rng.gamma(2.0, 12.0), 1930, 2024))
        title = f"The {_ADJ[rng.integers(len(_ADJ))]} {_NOUN[rng.integers(len(_NOUN))]}"
        films.append(
            {
                "id": f + 1,
                "title": f"{title} {f + 1}" if f >= len(_ADJ) * len(_NOUN) else title,
                "year": year,
                "genres": [GENRES[i] for i in sorted(gs)],
                "directors": [_person(rng, 7 * d + 3)],
                "actors": [_person(rng, 11 * a + 5) for a in cast],
            }
        )
    popularity = rng.lognormal(0.0, 1.1, n_films)
    quality = rng.normal(0.0, 0.45, n_films)

    tastes = rng.dirichlet(np.full(g, 0.35), size=n_users)
    director_love = rng.integers(0, n_directors, size=(n_users, 2))
    bias = rng.normal(0.0, 0.35, n_users)
    counts = np.clip(rng.lognormal(np.log(mean_ratings), 0.7, n_users).astype(int), 8, n_films // 2)

    user_parts: list[np.ndarray] = []
    item_parts: list[np.ndarray] = []
    star_parts: list[np.ndarray] = []
    time_parts: list[np.ndarray] = []
    for u in range(n_users):
        affinity = film_genres @ tastes[u] / film_genres.sum(1)
        affinity = affinity + 0.15 * np.isin(film_director, director_love[u])
        z = (affinity - affinity.mean()) / (affinity.std() + 1e-9)
        p = popularity * np.exp(1.2 * z)
        chosen = rng.choice(n_films, size=counts[u], replace=False, p=p / p.sum())
        latent = 2.2 + 0.9 * z[chosen] + quality[chosen] + bias[u] + rng.normal(0, 0.55, len(chosen))
        s = np.clip(np.round(latent * 2) / 2, 0.5, 5.0)
        start = rng.uniform(0, 300)
        t = np.sort(start + rng.exponential(40.0 / counts[u] * 10, len(chosen)).cumsum() / 10)
        user_parts.append(np.full(len(chosen), u + 1))
        item_parts.append(chosen + 1)
        star_parts.append(s)
        time_parts.append(t)
    users, items = np.concatenate(user_parts), np.concatenate(item_parts)
    stars, times = np.concatenate(star_parts).astype(np.float32), np.concatenate(time_parts)
    epoch = 1_600_000_000.0
    ts = np.round(epoch + times * 86400.0)
    order = np.lexsort((items, users, ts))
    ratings = Ratings(users[order].astype(np.int64), items[order].astype(np.int64), stars[order], ts[order])
    return SyntheticData(films, ratings, tastes)


def write_movielens(data: SyntheticData, directory: Path) -> Path:
    """Write the data in the ml-latest layout (movies.csv, ratings.csv, credits.csv)."""
    timestamps = data.ratings.timestamps
    if timestamps is None:  # checked before writing anything: no half-written folder
        raise ValueError("write_movielens needs the ratings' timestamps (ratings.csv has a timestamp column)")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "movies.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["movieId", "title", "genres"])
        for f in data.films:
            w.writerow([f["id"], f"{f['title']} ({f['year']})", "|".join(f["genres"]) or "(no genres listed)"])
    with open(directory / "credits.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["movieId", "role", "person"])
        for f in data.films:
            for d in f["directors"]:
                w.writerow([f["id"], "director", d])
            for a in f["actors"]:
                w.writerow([f["id"], "actor", a])
    r = data.ratings
    with open(directory / "ratings.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["userId", "movieId", "rating", "timestamp"])
        for u, f, s, t in zip(r.users.tolist(), r.films.tolist(), r.stars.tolist(), timestamps.tolist()):
            w.writerow([u, f, f"{s:g}", int(t)])
    return directory
