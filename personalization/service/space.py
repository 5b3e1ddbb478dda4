"""The space a taste vector lives in: the film vectors it is folded with, and the key stored
beside it (``model_version``).

A taste vector is a sum of film vectors, so it means something only beside the film vectors it
was folded with: a published version's (collaborative factors and content,
``core.item_vectors``) or the content vectors alone (before the first training, with
``film_factors = 0``, or with a version that has none). ``Engine.space()`` is the one a process
serves now; a stored vector under another key is rebuilt from the user's signals before use.
"""

from __future__ import annotations

from dataclasses import dataclass

from personalization.core.catalogue import Catalogue
from personalization.core.ensemble import Scorer
from personalization.storage.rows import Vector

__all__ = ["VectorSpace", "space_key"]


def space_key(scorer: Scorer) -> str:
    """The key stamped beside a taste vector folded with ``scorer``'s film vectors: the learning
    settings' version, plus the published version of the film vectors when it has them."""
    key = scorer.settings.version
    return f"{key}-films{scorer.vectors_version}" if scorer.item_vectors is not None else key


@dataclass(frozen=True)
class VectorSpace:
    """The film vectors taste vectors are folded with in a process now, and their ``key``."""

    key: str
    scorer: Scorer

    @property
    def catalogue(self) -> Catalogue:
        return self.scorer.catalogue

    def vector(self, film_id: int) -> Vector | None:
        """The film's vector in this space (None: not in this catalogue)."""
        pos = self.scorer.catalogue.position(film_id)
        if pos is None:
            return None
        vector: Vector = self.scorer.film_vector(pos)
        return vector
