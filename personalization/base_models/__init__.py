"""Base models: the recommender scores that personalization blends with.

Every base model follows one small contract (see ``base.BaseModel``): ``fit`` on a batch of
ratings, ``learn_one`` for each new rating, ``score(history, candidates)`` against the user's
*current* history, so a rating made a second ago already counts.
"""

from .base import BaseModel, Ratings
from .popularity import Popularity

__all__ = ["BaseModel", "Ratings", "Popularity", "make_base_model", "BASE_MODELS"]

BASE_MODELS = {"popularity": Popularity}


def make_base_model(name: str, **params) -> BaseModel:
    try:
        cls = BASE_MODELS[name]
    except KeyError:
        raise ValueError(f"unknown base model {name!r}; choose one of {', '.join(BASE_MODELS)}") from None
    return cls(**params)
