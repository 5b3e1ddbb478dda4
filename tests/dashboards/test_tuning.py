"""Tuning page: the replay sweep's figures and saving the engine's defaults."""

import sys
import time

import pytest

from personalization.config import Settings
from personalization.service import Service


@pytest.fixture
def replay():
    from personalization.evaluation import replay

    return replay


def test_replay_sweep_plots_each_value_and_the_baselines(demo_app, replay):
    at = demo_app("tuning")
    at.selectbox(key="setting").set_value("learning_rate").run()
    at.slider(key="range_learning_rate").set_value((0.05, 0.45)).run()
    at.slider(key="points").set_value(2)
    at.number_input(key="max_events").set_value(600)
    at.button(key="run_replay").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    results = next(d.value for d in at.dataframe if "ndcg_at_10" in d.value.columns)
    tuned = results[results["learning_rate"].notna()]
    assert sorted(tuned["learning_rate"]) == [0.05, 0.45]
    assert (results["evaluated"] > 0).all()
    assert results["hr_at_10"].between(0, 1).all() and (results["ndcg_at_10"] <= results["hr_at_10"]).all()
    chart = at.get("vega_lite_chart")[0].proto.spec
    assert "learning_rate" in chart and "strokeDash" in chart  # the sweep and the baseline rules
    # The form keeps the stored value; the best value found goes into it only when asked.
    best = tuned.loc[tuned["ndcg_at_10"].idxmax(), "learning_rate"]
    assert at.slider(key="save_learning_rate").value == pytest.approx(0.1)
    at.button(key="use_best").click().run()
    assert at.slider(key="save_learning_rate").value == pytest.approx(best)


def test_saving_defaults_reaches_other_processes(demo_app, demo_db_url, tmp_path):
    at = demo_app("tuning")
    at.slider(key="save_blend_weight").set_value(0.35)
    at.slider(key="save_learning_rate").set_value(0.2)
    at.button(key="save").click().run()
    assert "Saved" in at.success[0].value
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as other:
        assert other.model_settings.blend_weight == pytest.approx(0.35)
        assert other.model_settings.learning_rate == pytest.approx(0.2)
    shown = next(d.value for d in at.dataframe if "setting" in d.value.columns)
    assert shown.set_index("setting").loc["blend_weight", "value"] == pytest.approx(0.35)


def test_without_the_replay_the_page_says_so_and_still_saves(demo_app, monkeypatch):
    import personalization.evaluation

    monkeypatch.setitem(sys.modules, "personalization.evaluation.replay", None)  # makes the import fail
    monkeypatch.delattr(personalization.evaluation, "replay", raising=False)
    at = demo_app("tuning")
    assert any("Replay not available" in i.value for i in at.info)
    at.slider(key="save_blend_weight").set_value(0.4)
    at.button(key="save").click().run()
    assert "Saved" in at.success[0].value


def test_tuning_on_an_empty_database_says_so(empty_app, replay):
    at = empty_app("tuning")
    at.button(key="run_replay").click().run()
    assert any("no ratings to replay" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")


def test_engine_defaults_show_the_stored_values_after_a_replay_and_across_pages(
    demo_app, demo_db_url, tmp_path, replay
):
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        svc.save_model_settings(blend_weight=0.1)
    at = demo_app("tuning")
    assert at.slider(key="save_blend_weight").value == pytest.approx(0.1)
    at.selectbox(key="setting").set_value("blend_weight").run()
    at.slider(key="points").set_value(2)
    at.number_input(key="max_events").set_value(600)
    at.button(key="run_replay").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert any(d for d in at.dataframe if "ndcg_at_10" in d.value.columns)
    assert at.slider(key="save_blend_weight").value == pytest.approx(0.1)  # not a swept value
    at.switch_page("views/overview.py").run()
    at.switch_page("views/tuning.py").run()
    assert at.slider(key="save_blend_weight").value == pytest.approx(0.1)
    # Saved elsewhere (the CLI, another dashboard): the sliders follow the stored value.
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        svc.save_model_settings(blend_weight=0.3)
    deadline = time.monotonic() + 10
    while at.slider(key="save_blend_weight").value != pytest.approx(0.3) and time.monotonic() < deadline:
        time.sleep(0.2)  # the dashboard's service hears of it through NOTIFY
        at.run()
    assert at.slider(key="save_blend_weight").value == pytest.approx(0.3)


def test_an_empty_movielens_folder_is_refused_not_read_from_the_working_directory(
    demo_app, replay, tmp_path, monkeypatch
):
    from personalization.data.synthetic import generate, write_movielens

    monkeypatch.chdir(write_movielens(generate(n_users=30, n_films=80, mean_ratings=15, seed=3), tmp_path / "ml"))
    at = demo_app("tuning")
    at.radio(key="source").set_value("a MovieLens folder").run()
    at.slider(key="points").set_value(2)
    at.number_input(key="max_events").set_value(300)
    at.button(key="run_replay").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Type the path of a MovieLens folder first (ml-100k or ml-latest layout)."]
    assert not any("ndcg_at_10" in d.value.columns for d in at.dataframe)
