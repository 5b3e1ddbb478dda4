"""The `cinesync dashboard` command and the pure table/chart builders (no database)."""

import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from click.testing import CliRunner

from dashboards import charts, frames
from dashboards.cli import APP, streamlit_args


def test_the_command_is_registered_and_cheap_to_import():
    from personalization.cli import main

    result = CliRunner().invoke(main, ["dashboard", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
    code = "import sys, dashboards.cli; sys.exit('streamlit' in sys.modules or 'altair' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_streamlit_is_run_headless_on_the_given_port():
    args = streamlit_args(8123)
    assert args[1:4] == ["-m", "streamlit", "run"] and args[4] == str(APP) and APP.exists()
    flags = dict(zip(args[5::2], args[6::2]))
    assert flags["--server.port"] == "8123" and flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"


class Cat:
    """The two things genre_centroids reads from a Catalogue."""

    matrix = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], np.float32)

    def genres(self):
        return ["Drama", "Horror"]

    def genre_mask(self, genre):
        return np.array([True, True, False]) if genre == "Drama" else np.array([False, False, True])


def test_taste_trajectory_follows_the_cosine_to_each_genre():
    centroids = frames.genre_centroids(Cat())
    assert abs(np.linalg.norm(centroids["Drama"]) - 1) < 1e-6
    at = datetime(2024, 1, 1, tzinfo=UTC)
    steps = [(at, 1, 1.0, np.array([0, 0, 1.0])), (at, 2, 1.0, np.zeros(3))]
    moves = frames.taste_trajectory(steps, centroids)
    horror = moves[moves["genre"] == "Horror"]["similarity"].tolist()
    assert horror == [1.0, 0.0]  # straight at Horror, then a zero vector (no direction)
    assert frames.taste_trajectory([], centroids).empty
    spec = charts.trajectory_chart(moves).to_dict()
    assert spec["encoding"]["color"]["field"] == "genre" and spec["params"]  # legend highlight + zoom


def test_empty_overview_gives_empty_tables_with_their_columns():
    empty = {"ratings_per_day": [], "feedback_per_day": [], "star_distribution": [], "genres": []}
    assert list(frames.activity(empty).columns) == ["day", "kind", "count"]
    assert frames.star_distribution(empty).empty and frames.genre_love(empty).empty


def test_recommendation_parts_add_up_to_the_score():
    frame = pd.DataFrame(
        {"rank": [1, 2], "film": ["A", "B"], "reason": ["x", "y"], "personal_part": [0.5, 0.2], "base_part": [0.3, 0.1]}
    )
    spec = charts.recommendations_chart(frame).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert sum(d["contribution"] for d in data if d["film"] == "A") == 0.8
    assert {d["part"] for d in data} == {"personal", "base model"}


def test_replay_chart_draws_baselines_as_dashed_rules():
    tuned = pd.DataFrame(
        {
            "blend_weight": [0.2, 0.8],
            "model": "cinesync",
            "hr_at_10": [0.1, 0.2],
            "ndcg_at_10": [0.05, 0.1],
            "evaluated": 10,
            "seconds": 1.0,
        }
    )
    base = tuned.assign(blend_weight=None, model="popularity").head(1)
    spec = charts.replay_chart(tuned, "blend_weight", "hr_at_10", base).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "rule"]
    assert spec["layer"][1]["mark"]["strokeDash"] == [6, 4]
