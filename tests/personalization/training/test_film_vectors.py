"""The personal term's film vectors in the product: `cinesync train` publishes them, a serving
process scores with them, and a stored taste vector always lives in the space it is used in."""

from __future__ import annotations

import numpy as np

from personalization.core.base_models.base import read_state
from personalization.core.catalogue import Film
from personalization.core.ensemble import PERSONAL
from personalization.core.item_vectors import FILM_VECTORS, ItemVectors
from personalization.service import Service
from personalization.service.engine import strength_of
from personalization.storage.models import ModelStore
from personalization.training import train

NEW_FILM = 990_001


def _stored(svc: Service, user: int):
    with svc.repo.session() as session:
        return session.read_embedding(user)


def _rebuilt(svc: Service, user: int) -> np.ndarray:
    """The user's vector folded from their signals with the film vectors served now."""
    space = svc.engine.space()
    with svc.repo.session() as session:
        signals = session.effective_signals(user)
    events = []
    for s in signals:
        vector = space.vector(s.film_id)
        assert vector is not None
        events.append((vector, strength_of(s.stars, s.kind)))
    assert events
    return svc.engine.rule.rebuild(events)


def test_the_trainer_publishes_film_vectors_and_the_service_scores_with_them(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        store = ModelStore(svc.db.pool)
        published = train(store, svc.model_settings, origin="t")
        assert FILM_VECTORS in published.nbytes and FILM_VECTORS not in published.models
        version, blobs = store.arrays([FILM_VECTORS])  # type: ignore[misc]
        state = read_state(blobs[FILM_VECTORS])
        assert version == published.version
        assert state["collab"].shape == (len(state["films"]), 32) and np.any(state["collab"])
        scorer = svc.scorer()
        iv = scorer.item_vectors
        assert iv is not None and iv.version == published.version and not iv.learning
        cat = scorer.catalogue
        expected = ItemVectors.from_state(cat.ids, cat.matrix, state, published.version)
        assert np.array_equal(iv.matrix, expected.matrix)
        assert not np.allclose(iv.matrix, cat.matrix)  # not the content vectors
        # the personal term scores a taste vector against the published film vectors
        user = svc.users(limit=1)[0]["id"]
        vector, _ = svc.user_vector(user)  # type: ignore[misc]
        assert np.allclose(scorer.terms({}, vector, [PERSONAL])[PERSONAL], expected.matrix @ vector, atol=1e-4)
        # and the stored vector was folded with them: it says so, and equals a rebuild
        row = _stored(svc, user)
        assert row.model_version == f"{svc.model_settings.version}-films{published.version}"
        assert np.allclose(vector, _rebuilt(svc, user), atol=1e-6)


def test_a_new_training_is_a_new_space_every_vector_is_rebuilt_in(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        store = ModelStore(svc.db.pool)
        first = train(store, svc.model_settings, origin="t").version
        user, other = (u["id"] for u in svc.users(limit=2))
        films = [int(f) for f in svc.catalogue().ids[:3]]
        svc.rate(user, films[0], 4.5)  # stored in the first space
        before, _ = svc.user_vector(user)  # type: ignore[misc]
        old_key = _stored(svc, user).model_version
        assert old_key.endswith(f"-films{first}") and len(svc.engine.vectors) > 0
        svc.rate(555_001, films[1], 5.0)  # a rating the next version has
        second = train(store, svc.model_settings, origin="t").version
        svc.engine.reload_models()  # what the `models` note makes a running process do
        assert svc.scorer().vectors_version == second
        assert len(svc.engine.vectors) == 0  # no vector of the old space survives in memory
        # a read rebuilds the stored vector in the new space, and stores it under the new key
        after, _ = svc.user_vector(user)  # type: ignore[misc]
        assert not np.allclose(before, after)
        assert np.allclose(after, _rebuilt(svc, user), atol=1e-6)
        assert _stored(svc, user).model_version == f"{svc.model_settings.version}-films{second}"
        # a write for a user still stored in the old space folds them in the new one first:
        # their vector after the rating equals a rebuild from all their signals in the new space
        assert _stored(svc, other).model_version != svc.engine.vector_version
        svc.rate(other, films[2], 2.0)
        stored = _stored(svc, other)
        assert stored.model_version == svc.engine.vector_version
        assert np.allclose(stored.embedding, _rebuilt(svc, other), atol=1e-6)


def test_a_film_the_trainer_never_saw_keeps_its_content_part(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        train(ModelStore(svc.db.pool), svc.model_settings, origin="t")
        svc.import_films([Film(NEW_FILM, "Brand New", 2026, ("Drama",), ("Someone New",))])
        scorer = svc.scorer()
        iv = scorer.item_vectors
        pos = scorer.catalogue.position(NEW_FILM)
        assert iv is not None and pos is not None
        assert not np.any(iv.collab[pos])
        assert np.allclose(scorer.film_vector(pos), iv.content_part[pos])
        user = svc.users(limit=1)[0]["id"]
        svc.rate(user, NEW_FILM, 5.0)  # rated like any other film, in the same space
        assert np.allclose(_stored(svc, user).embedding, _rebuilt(svc, user), atol=1e-6)


def test_with_film_factors_0_the_content_vectors_are_used_and_nothing_is_published(demo_db_url, settings):
    off = settings.with_model(film_factors=0)
    with Service.open(off, url=demo_db_url, listen=False) as svc:
        published = train(ModelStore(svc.db.pool), svc.model_settings, origin="t")
        assert FILM_VECTORS not in published.nbytes
        scorer = svc.scorer()
        assert scorer.item_vectors is None and svc.engine.vector_version == svc.model_settings.version
        user = svc.users(limit=1)[0]["id"]
        svc.rate(user, int(scorer.catalogue.ids[0]), 4.0)
        assert _stored(svc, user).model_version == svc.model_settings.version
        assert np.array_equal(scorer.film_vector(3), scorer.catalogue.matrix[3])
