import numpy as np
import pytest

from personalization.core.signals import check_stars, feedback_strength, is_strong, stars_strength
from personalization.core.user_model import OnlineUserModel, UserModel, is_valid_vector
from personalization.errors import InvalidFeedback, InvalidRating


def test_strength_order_matches_meaning():
    assert stars_strength(5) == feedback_strength("love") == 1.0
    assert stars_strength(1) == feedback_strength("hate") == -1.0
    assert stars_strength(4) > 0 and feedback_strength("like") > 0
    assert stars_strength(2) < 0 and feedback_strength("dislike") < 0
    assert stars_strength(3) == 0.0
    assert stars_strength(5) > stars_strength(4) > stars_strength(3) > stars_strength(2) > stars_strength(1)
    assert is_strong(1.0) and is_strong(-1.0) and not is_strong(0.5)


@pytest.mark.parametrize("bad", [0, 0.25, 5.5, 3.3, -1, float("nan"), float("inf"), "x", None, "4.2"])
def test_out_of_range_ratings_are_refused(bad):
    with pytest.raises(InvalidRating, match="half steps"):
        check_stars(bad)


def test_unknown_feedback_kind_is_refused():
    with pytest.raises(InvalidFeedback, match="love"):
        feedback_strength("meh")


def unit(i, dim=8):
    v = np.zeros(dim, np.float32)
    v[i] = 1
    return v


def test_high_ratings_pull_towards_and_low_ratings_push_away():
    rule = UserModel(dim=8)
    start = rule.step(rule.zero(), unit(0), 1.0)
    item = (unit(0) + unit(1)) / np.sqrt(2)
    towards = rule.step(start, item, stars_strength(5))
    away = rule.step(start, item, stars_strength(1))
    neutral = rule.step(start, item, stars_strength(3))
    assert towards @ item > start @ item > away @ item
    assert np.allclose(neutral, start)


def test_strong_signals_move_further():
    rule = UserModel(dim=8, learning_rate=0.1, strong_learning_rate=0.15)
    start = rule.step(rule.zero(), unit(0), 1.0)
    item = unit(1)
    assert rule.step(start, item, 1.0) @ item > rule.step(start, item, 0.5) @ item


def test_stays_on_the_unit_sphere_and_never_nan():
    rng = np.random.default_rng(0)
    rule = UserModel(dim=16)
    v = rule.zero()
    for _ in range(2000):
        item = rng.normal(size=16).astype(np.float32)
        item /= np.linalg.norm(item)
        v = rule.step(v, item, float(rng.choice([-1, -0.5, 0, 0.5, 1])))
        assert np.all(np.isfinite(v))
        assert abs(np.linalg.norm(v) - 1) < 1e-4 or not np.any(v)
    nan_item = np.full(16, np.nan, np.float32)
    assert np.allclose(rule.step(v, nan_item, 1.0), v)


def test_exact_cancellation_gives_zero_not_nan():
    rule = UserModel(dim=4, learning_rate=1.0, strong_learning_rate=1.0)
    v = rule.step(rule.zero(), unit(0, 4), 1.0)
    assert not np.any(rule.step(v, unit(0, 4), -1.0))


def test_step_does_not_mutate_its_inputs():
    rule = UserModel(dim=8)
    v, item = unit(0), unit(1)
    v0, item0 = v.copy(), item.copy()
    rule.step(v, item, 1.0)
    assert np.array_equal(v, v0) and np.array_equal(item, item0)


def test_rerating_replaces_the_earlier_effect():
    items = {i: unit(i) for i in range(8)}
    model = OnlineUserModel(UserModel(dim=8), items.__getitem__)
    for f, s in [(0, 1.0), (1, 0.5), (2, -0.5)]:
        model.learn_one("u", f, s)
    model.learn_one("u", 1, -1.0)  # changed their mind about film 1
    fresh = OnlineUserModel(UserModel(dim=8), items.__getitem__)
    for f, s in [(0, 1.0), (2, -0.5), (1, -1.0)]:
        fresh.learn_one("u", f, s)
    assert np.allclose(model.vector("u"), fresh.vector("u"))


def test_rebuild_equals_online_path():
    rng = np.random.default_rng(1)
    items = {i: (lambda v: v / np.linalg.norm(v))(rng.normal(size=32)).astype(np.float32) for i in range(50)}
    rule = UserModel(dim=32)
    model = OnlineUserModel(rule, items.__getitem__)
    events = [(int(f), float(s)) for f, s in zip(rng.permutation(50)[:30], rng.choice([-1, -0.5, 0.5, 1], 30))]
    for f, s in events:
        model.learn_one("u", f, s)
    assert np.allclose(model.vector("u"), rule.rebuild((items[f], s) for f, s in events), atol=1e-6)


@pytest.mark.parametrize(
    "vec,ok",
    [
        (np.eye(4, dtype=np.float32)[0], True),
        (np.zeros(4), True),
        (np.ones(3), False),
        (np.array([np.nan, 0, 0, 0]), False),
        (np.array([2.0, 0, 0, 0]), False),
        (None, False),
    ],
)
def test_valid_vector_check(vec, ok):
    assert is_valid_vector(vec, 4) is ok
