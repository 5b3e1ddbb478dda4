"""A/B tests page: each variant's rate with its interval (a chart and a table) and the verdict."""

import pytest

from personalization.config import Settings
from personalization.service import Service


@pytest.fixture
def svc(demo_db_url, tmp_path):
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        yield svc


def test_experiments_page_shows_rates_intervals_and_the_verdict(demo_app, svc):
    svc.create_experiment("page-test", ["a", "b:blend_weight=0.9"], description="dashboard")
    for member in range(8_000_000, 8_000_030):
        picks = svc.recommend(member, 4)
        svc.rate(member, picks.items[0].film.id, 5)
    report = svc.experiment_report("page-test")
    at = demo_app("experiments")
    assert at.title[0].value == "A/B tests"
    table = next(d.value for d in at.dataframe if "picks shown" in d.value.columns)
    assert table["variant"].tolist() == ["a", "b"]
    assert table["picks shown"].tolist() == [v.shown for v in report.variants]
    assert table["rate %"].tolist() == [round(100 * v.rate, 2) for v in report.variants]
    assert (table["low %"] <= table["rate %"]).all() and (table["rate %"] <= table["high %"]).all()
    assert len(at.get("vega_lite_chart")) == 1
    assert any(report.verdict == box.value for box in (*at.info, *at.success, *at.warning))
    at.radio(key="ab_metric").set_value("acted").run()
    acted = next(d.value for d in at.dataframe if "picks shown" in d.value.columns)
    assert acted["outcomes"].tolist() == [v.hits for v in svc.experiment_report("page-test", metric="acted").variants]


def test_experiments_page_without_experiments_says_how_to_start_one(empty_app):
    at = empty_app("experiments")
    assert any("No A/B tests yet" in i.value and "cinesync ab create" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
