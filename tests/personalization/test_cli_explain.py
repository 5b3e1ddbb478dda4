"""``cinesync explain USER FILM [--json]`` (issue 14), in-process against the demo data set."""

import json

import pytest
from click.testing import CliRunner

from personalization.cli import main


@pytest.fixture
def run(demo_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_explain_text_json_and_errors(run):
    recs = json.loads(run("recommend", 1, "-k", 2, "--json").output)
    pick = recs["items"][0]
    assert pick["reason"] and "+" not in pick["reason"]  # reasons, not a list of model names
    film = pick["film"]["id"]

    data = json.loads(run("explain", 1, film, "--json").output)
    assert set(data) == {
        "user_id",
        "film",
        "mode",
        "score",
        "rank",
        "candidates",
        "reasons",
        "terms",
        "history",
        "films_measured",
        "n_history",
        "features",
        "model_version",
    }
    assert data["user_id"] == 1 and data["film"]["id"] == film and data["rank"] == 1
    assert data["score"] == pytest.approx(sum(t["part"] for t in data["terms"]))
    assert set(data["terms"][0]) == {"term", "weight", "score", "part"}
    assert set(data["history"][0]) == {"film_id", "label", "stars", "feedback", "contribution", "by_term"}
    assert 1 <= len(data["reasons"]) <= 3

    text = run("explain", 1, film).output
    assert f"rank 1 of {data['candidates']:,}" in text and "why:" in text
    assert all(reason in text for reason in data["reasons"])
    assert "films that moved it most" in text and data["history"][0]["label"] in text

    r = run("explain", 123456789, film)
    assert r.exit_code == 2 and "unknown user 123456789" in r.output
    r = run("explain", 1, 99999999)
    assert r.exit_code == 2 and "unknown film" in r.output


def test_explain_help_says_what_it_measures():
    r = CliRunner().invoke(main, ["explain", "--help"])
    assert r.exit_code == 0 and "leaving it out" in r.output and "--json" in r.output
