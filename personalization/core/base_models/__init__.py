"""Base models: the collaborative recommenders whose scores the blend combines with the personal term.

Every base model is a ``base.BaseModel``: ``fit`` on a batch of ratings, ``learn_one`` for each
new rating, ``score(history, candidates)`` against the user's *current* history, so a rating
made a second ago already counts; ``stale``/``refit`` for the ones that rebuild their structure
in batches (``refit.RefitModel``: item-kNN, EASE, ALS). Each model's file ends with its registry
entry (``SPEC``); ``registry`` lists them. The library code (``implicit``, scipy) is imported only
when a model is fitted, so importing this package stays cheap.
"""

from personalization.core.base_models.als import ALS
from personalization.core.base_models.base import BaseModel, ModelSpec, Param, Ratings
from personalization.core.base_models.ease import EASE
from personalization.core.base_models.itemknn import ItemKNN
from personalization.core.base_models.popularity import Popularity
from personalization.core.base_models.refit import RefitModel
from personalization.core.base_models.registry import REGISTRY, make_base_model, register, spec, unregister
from personalization.core.base_models.sequence import Sequence
from personalization.core.base_models.trending import Trending

__all__ = [
    "BaseModel",
    "RefitModel",
    "Ratings",
    "ModelSpec",
    "Param",
    "Popularity",
    "ItemKNN",
    "EASE",
    "ALS",
    "Trending",
    "Sequence",
    "REGISTRY",
    "register",
    "unregister",
    "spec",
    "make_base_model",
]
