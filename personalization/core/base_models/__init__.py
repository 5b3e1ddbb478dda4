"""Base models: the recommender scores that personalization blends with.

Every base model follows one small contract (see ``base.BaseModel``): ``fit`` on a batch of
ratings, ``learn_one`` for each new rating, ``score(history, candidates)`` against the user's
*current* history, so a rating made a second ago already counts.

The collaborative models (item-kNN, EASE, ALS) refit their item-item structure as the stream
grows (``refit.RefitModel``); the library code (``implicit``, scipy) is imported only when one
is fitted, so importing this package stays cheap.
"""

from personalization.core.base_models.als import ALS
from personalization.core.base_models.base import BaseModel, Ratings
from personalization.core.base_models.ease import EASE
from personalization.core.base_models.itemknn import ItemKNN
from personalization.core.base_models.popularity import Popularity
from personalization.core.base_models.sequence import Sequence
from personalization.core.base_models.trending import Trending

__all__ = ["BaseModel", "Ratings", "Popularity", "ItemKNN", "EASE", "ALS", "Trending", "Sequence", "make_base_model",
           "BASE_MODELS"]

BASE_MODELS = {"popularity": Popularity, "trending": Trending, "itemknn": ItemKNN, "ease": EASE, "als": ALS,
               "sequence": Sequence}


def make_base_model(name: str, **params) -> BaseModel:
    try:
        cls = BASE_MODELS[name]
    except KeyError:
        raise ValueError(f"unknown base model {name!r}; choose one of {', '.join(BASE_MODELS)}") from None
    return cls(**params)
