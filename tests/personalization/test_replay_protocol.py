"""The honest protocol: no score sees the future, same-second events, re-rated films, the cut."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from personalization.cli.evaluation import replay_command
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation.cut import TuningCut, cut_index, read_tuned, write_tuned
from personalization.evaluation.replay import Stream, model_names, run_replay
from personalization.evaluation.stream import same_second_groups

FILMS = [Film(i, f"Film {i}", 2000, ("Drama",)) for i in range(1, 21)]


def _stream(rows) -> Stream:
    u, f, s, t = zip(*rows)
    return Stream(Ratings(np.array(u), np.array(f), np.array(s, np.float32), np.array(t, np.float64)), FILMS)


@pytest.fixture(scope="module")
def tied_stream() -> Stream:
    """A synthetic stream whose timestamps are coarsened so many events share their second."""
    data = synthetic.generate(n_users=36, n_films=120, mean_ratings=25, seed=11)
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    r = data.ratings
    coarse = np.floor(r.timestamps / 200_000.0) * 200_000.0
    return Stream(Ratings(r.users, r.films, r.stars, coarse), films, "tied")


def _trace(stream: Stream, **kw) -> dict[int, dict[str, int]]:
    trace: list = []
    run_replay(stream, models=list(model_names()), trace=trace, **kw)
    return dict(trace)


@pytest.mark.slow
@pytest.mark.parametrize("keep_file_order", [False, True])
def test_no_score_depends_on_a_later_event(tied_stream, keep_file_order):
    """Replay a stream; then the same stream cut after an event, with every later event replaced
    by a shuffle of the later events: every rank up to that event is identical, for every model
    (the refits computed ahead of time included)."""
    groups = list(same_second_groups(tied_stream))
    assert sum(b - a > 1 for a, b in groups) > 30  # many same-second events
    full = _trace(tied_stream, keep_file_order=keep_file_order)
    r = tied_stream.ratings
    cut = int(len(r) * 0.7)
    while r.timestamps[cut] != r.timestamps[cut + 1]:  # cut inside a second, the hard case
        cut += 1
    order = np.concatenate([np.arange(cut + 1), cut + 1 + np.random.default_rng(0).permutation(len(r) - cut - 1)])
    shuffled = Stream(Ratings(r.users[order], r.films[order], r.stars[order], r.timestamps), tied_stream.films)
    other = _trace(shuffled, keep_file_order=keep_file_order)
    before = {i: ranks for i, ranks in full.items() if i <= cut}
    assert len(before) > 100
    assert {i: other[i] for i in before} == before
    assert any(other.get(i) != ranks for i, ranks in full.items() if i > cut)  # the shuffle mattered


# user 1 has 5 ratings; at second 10 user 2 rates film 7, then user 1 rates film 7.
SAME_SECOND = [(1, f, 5.0, f) for f in range(1, 6)] + [(2, 8, 5.0, 6), (2, 7, 5.0, 10), (1, 7, 4.0, 10)]


def test_same_second_events_are_scored_on_the_state_before_that_second():
    honest = _trace(_stream(SAME_SECOND), evaluate_from=0)
    ordered = _trace(_stream(SAME_SECOND), evaluate_from=0, keep_file_order=True)
    # popularity: before second 10 only film 8 has a rating; in file order film 7 has one too.
    assert honest[7]["popularity"] == 3  # 8, then the unrated 6 and 7 (lower id first)
    assert ordered[7]["popularity"] == 1  # 7 and 8 both have one rating: 7 wins on its lower id


def test_a_re_rated_film_is_never_scored():
    rows = [(1, f, 5.0, f) for f in range(1, 7)] + [(1, 3, 5.0, 8), (1, 9, 5.0, 9)]
    report = run_replay(_stream(rows), models=["popularity"], trace=(trace := []))
    assert report.protocol["eligible"] == 2  # film 6 and film 9; the second rating of 3 is skipped
    assert [i for i, _ in trace] == [5, 7]


def test_coverage_and_novelty():
    rows = [(u, f, 5.0, 10 * u + f) for u in (1, 2) for f in range(1, 8)]
    report = run_replay(_stream(rows), models=["popularity"])
    r = report.result("popularity")
    assert r.evaluated == 4
    assert 10 <= round(r.coverage * 20) <= 20  # the picks of 4 top-10 lists over 20 films
    assert 1.0 <= r.novelty <= 20.0  # popularity ranks among 20 films
    lo, hi = r.hr_interval
    assert lo <= r.hr_at_10 <= hi


def test_cut_never_splits_a_second(tied_stream):
    ts = tied_stream.ratings.timestamps
    for split in (0.3, 0.5, 0.77):
        i = cut_index(tied_stream, split)
        assert i >= int(len(ts) * split) and ts[i - 1] != ts[i]
    assert cut_index(tied_stream, 0.1, last_timestamp=float(ts[-1])) == len(ts)


def test_tuned_settings_carry_their_cut(tmp_path):
    from personalization.config import ModelSettings

    settings = ModelSettings(blend_weight=0.3)
    write_tuned(tmp_path / "t.json", settings, TuningCut(0.6, 123.0, "x", 10))
    assert read_tuned(tmp_path / "t.json") == (settings, TuningCut(0.6, 123.0, "x", 10))
    (tmp_path / "flat.json").write_text(json.dumps(settings.to_dict()))
    assert read_tuned(tmp_path / "flat.json") == (settings, None)


def test_the_cli_refuses_tuning_events_unless_asked_and_then_says_so(tmp_path):
    data = synthetic.generate(n_users=30, n_films=120, mean_ratings=20, seed=5)
    synthetic.write_movielens(data, tmp_path / "ml")
    base = [str(tmp_path / "ml"), "--no-progress", "--models", "popularity"]
    out = CliRunner().invoke(replay_command, [*base, "--evaluate-from", "0"])
    assert out.exit_code != 0 and "tuning events" in out.output
    out = CliRunner().invoke(replay_command, [*base, "--evaluate-from", "0", "--include-tuning-events"])
    assert out.exit_code == 0, out.output
    assert "WARNING: these figures include events the settings were tuned on" in out.output
    out = CliRunner().invoke(replay_command, [*base, "--evaluate-from", "0.8"])
    assert out.exit_code == 0 and "WARNING" not in out.output
    write_tuned(tmp_path / "t.json", __import__("personalization.config").config.ModelSettings(), TuningCut(0.9))
    out = CliRunner().invoke(replay_command, [*base, "--settings", str(tmp_path / "t.json"), "--evaluate-from", "0.8"])
    assert out.exit_code != 0 and "tuning events" in out.output
