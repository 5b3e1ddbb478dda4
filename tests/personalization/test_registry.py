"""Adding a base model is one file plus one registry line: a toy model, registered here, is in
the settings, the blend, the replay's model list and ``cinesync tune``'s search and --help."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pytest
from click.testing import CliRunner

from personalization.cli.evaluation import replay_command, tune_command
from personalization.config import ConfigError, ModelSettings
from personalization.core.base_models import BaseModel, ModelSpec, Param, Ratings, register, unregister
from personalization.core.ensemble import make_base_models, prior_weights
from personalization.data import synthetic
from personalization.evaluation import replay, tune


class Toy(BaseModel):
    """Prefers the films with the highest ids, ``size`` at a time (a toy: nothing learned)."""

    name = "toy"

    def __init__(self, size: int = 1):
        self.size = size

    def fit(self, ratings: Ratings) -> Toy:
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        pass

    def score(self, history: Mapping[int, float], candidates: np.ndarray, user: int | None = None) -> np.ndarray:
        return np.asarray(candidates, np.float64) // self.size


TOY = ModelSpec(
    "toy",
    Toy,
    weight=0.05,
    summary="a toy",
    params=(Param("toy_size", "size", 2, int, minimum=1, grid=(1, 2, 4), help="bucket size"),),
)


@pytest.fixture
def toy() -> Iterator[None]:
    register(TOY)  # the one registry line
    yield
    unregister("toy")


def test_a_registered_model_is_a_setting(toy):
    s = ModelSettings()
    assert s.value("weight_toy") == 0.05 and s.value("toy_size") == 2
    assert "weight_toy" in ModelSettings.names() and s.to_dict()["toy_size"] == 2
    assert ModelSettings(toy_size=4, weight_toy=0.5).value("toy_size") == 4
    with pytest.raises(ConfigError, match="toy_size"):
        ModelSettings(toy_size=0)
    models = make_base_models(ModelSettings(toy_size=3))
    assert isinstance(models["toy"], Toy) and models["toy"].size == 3
    assert "toy" in prior_weights(s).base_weights


def test_a_registered_model_is_in_the_replay_and_the_tuner(toy, tmp_path):
    assert "toy" in replay.model_names()
    space = tune.search_space()
    assert space["structure"]["toy_size"] == (1, 2, 4) and "weight_toy" in space["weights"]
    help_text = CliRunner().invoke(tune_command, ["--help"]).output
    assert "toy_size" in help_text and "weight_toy" in help_text
    data = synthetic.generate(n_users=30, n_films=100, mean_ratings=20, seed=5)
    synthetic.write_movielens(data, tmp_path)
    out = CliRunner().invoke(
        replay_command,
        [str(tmp_path), "--json", "--every", "4", "--no-progress", "--max-events", "400", "--models", "toy,cinesync"],
    )
    assert out.exit_code == 0, out.output
    assert '"model": "toy"' in out.output


def test_unregistered_models_and_names_are_refused(toy):
    with pytest.raises(ValueError):
        register(TOY)  # twice
    with pytest.raises(ValueError):
        register(ModelSpec("personal", Toy, weight=0.0))  # the personal term's name
    with pytest.raises(TypeError, match="weight_magic"):
        ModelSettings(weight_magic=1.0)


def test_saved_settings_of_a_model_that_is_gone_are_ignored():
    saved = {"base_models": {"weight_gone": 0.3, "ease_l2": 50.0}}
    assert ModelSettings(**saved).value("ease_l2") == 50.0
