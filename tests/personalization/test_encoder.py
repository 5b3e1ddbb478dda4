import subprocess
import sys

import numpy as np
import pytest

from personalization.core.encoder import ItemEncoder, film_features

SCRIPT = """
from personalization.core.encoder import ItemEncoder, film_features
enc = ItemEncoder(dim=64)
v = enc.encode(film_features(7, genres=["Drama", "War"], directors=["Agnès Varda"], actors=["A", "B"], year=1962))
print(v.tobytes().hex())
"""


def test_same_vector_in_every_process_whatever_the_hash_seed():
    outs = set()
    for seed in ("1", "2", "random"):
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        ).stdout.strip()
        outs.add(out)
    assert len(outs) == 1


def test_no_global_random_state_is_touched():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    ItemEncoder(dim=32).encode(film_features(1, genres=["Drama"]))
    assert np.random.random() == expected


@pytest.mark.parametrize("dim", [128, 256, 512])
def test_unit_length_float32_for_every_dim(dim):
    v = ItemEncoder(dim=dim).encode(film_features(3, genres=["Comedy"], year=2001))
    assert v.shape == (dim,) and v.dtype == np.float32
    assert abs(np.linalg.norm(v) - 1) < 1e-5


def test_film_without_metadata_gets_a_distinct_valid_vector():
    enc = ItemEncoder(dim=64)
    a, b = enc.encode(film_features(1)), enc.encode(film_features(2))
    assert abs(np.linalg.norm(a) - 1) < 1e-5 and np.all(np.isfinite(a))
    assert not np.allclose(a, b)


def test_rare_features_weigh_more_than_common_ones():
    films = [film_features(i, genres=["Drama"]) for i in range(50)]
    films.append(film_features(99, genres=["Drama", "Film-Noir"]))
    enc = ItemEncoder(dim=256).fit(films)
    v = enc.encode(films[-1])
    drama = enc.feature_vector("genre:drama")
    noir = enc.feature_vector("genre:film-noir")
    assert v @ noir > v @ drama


def test_thirty_actors_do_not_drown_the_genres():
    enc = ItemEncoder(dim=256)
    crowded = film_features(1, genres=["Western"], actors=[f"Actor {i}" for i in range(30)])
    plain = film_features(2, genres=["Western"])
    sim = float(enc.encode(crowded) @ enc.encode(plain))
    assert sim > 0.6  # the genre still dominates the comparison


def test_shared_metadata_means_similar_vectors():
    enc = ItemEncoder(dim=256)
    a = enc.encode(film_features(1, genres=["Horror"], directors=["Carpenter"], year=1978))
    b = enc.encode(film_features(2, genres=["Horror"], directors=["Carpenter"], year=1982))
    c = enc.encode(film_features(3, genres=["Musical"], directors=["Minnelli"], year=1951))
    assert a @ b > a @ c + 0.3
