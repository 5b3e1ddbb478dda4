"""``cinesync ab create|list|report|stop`` and ``cinesync export-user``, in-process on the demo data."""

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


def test_ab_create_refuses_a_long_description_and_stores_nothing(run):
    r = run("ab", "create", "long-desc", "a", "b:blend_weight=0.8", "--description", "x" * 501)
    assert r.exit_code == 2 and "at most 500 characters" in r.output
    assert "long-desc" not in [e["name"] for e in json.loads(run("ab", "list", "--json").output)]


def test_ab_create_list_report_stop(run):
    r = run("ab", "create", "blend-08", "a", "b:blend_weight=0.8", "--description", "more personal")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("started blend-08") and "b (blend_weight=0.8)" in r.output
    assert "a (no change)" in r.output
    for user in range(1, 21):
        assert run("recommend", user, "-k", 3).exit_code == 0  # exposures logged by the service
    listed = json.loads(run("ab", "list", "--json").output)
    assert [(e["name"], e["status"], e["exposures"], e["members"]) for e in listed] == [("blend-08", "running", 60, 20)]
    report = run("ab", "report", "blend-08")
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    assert lines[0].startswith("experiment blend-08 (running); outcome: liked")
    assert [line.split()[0] for line in lines[2:4]] == ["a", "b"]
    assert lines[-1].startswith("verdict: no clear difference yet between b and a")  # nobody rated a pick
    body = json.loads(run("ab", "report", "blend-08", "--metric", "acted", "--json").output)
    assert body["metric"] == "acted" and sum(v["shown"] for v in body["variants"]) == 60
    stopped = run("ab", "stop", "blend-08")
    assert stopped.exit_code == 0 and stopped.output.startswith("stopped blend-08")
    assert "60 exposures to 20 members" in stopped.output, stopped.output  # its counts, not zeros
    assert "stopped" in run("ab", "list").output


@pytest.mark.parametrize(
    "args, words",
    [
        (("ab", "create", "x", "a"), "at least two variants"),
        (("ab", "create", "x", "a", "b:dim=2"), "not a per-member ranking setting"),
        (("ab", "create", "X Y", "a", "b"), "experiment name"),
        (("ab", "report", "nope"), "no experiment named 'nope'"),
        (("ab", "stop", "nope"), "no experiment named 'nope'"),
        (("export-user", 987654321), "unknown user 987654321"),
    ],
)
def test_bad_input_is_one_clear_line(run, args, words):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output


def test_export_user_writes_everything_stored_and_forget_removes_it(run, tmp_path):
    run("ab", "create", "exp", "a", "b:weight_popularity=2")
    run("recommend", 3, "-k", 4)
    out = tmp_path / "u3.json"
    r = run("export-user", 3, "--output", out)
    assert r.exit_code == 0 and r.output.startswith("user 3: ") and str(out) in r.output
    data = json.loads(out.read_text())
    assert data["user_id"] == 3 and len(data["tables"]["experiment_exposures"]) == 4 and data["tables"]["ratings"]
    assert json.loads(run("export-user", 3).output)["tables"]["ratings"] == data["tables"]["ratings"]
    assert "rows deleted" in run("forget", 3, "--yes").output
    gone = CliRunner().invoke(main, ["export-user", "3"])
    assert gone.exit_code == 2 and "unknown user 3" in gone.output
    bad = CliRunner().invoke(main, ["export-user", "4", "--output", str(tmp_path / "no" / "such" / "dir.json")])
    assert bad.exit_code == 2 and "cannot write" in bad.output


@pytest.mark.parametrize(
    "args",
    [
        ("ab", "create", "x" * 100_000, "a", "b:blend_weight=0.5"),
        ("ab", "create", "long-value", "a", "b:weight_ease=" + "z" * 100_000),
        ("settings", "set", "blend_weight=" + "y" * 100_000),
        ("settings", "set", "w" * 100_000 + "=1"),
    ],
)
def test_a_huge_argument_is_not_echoed_back_whole(run, args):
    r = run(*args)
    assert r.exit_code == 2 and "(100,0" in r.output and len(r.output) < 2_000, r.output[:300]
