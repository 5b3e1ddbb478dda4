"""The command line, run in-process with click's runner against a real database."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from personalization.cli import main


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))

    def invoke(*args, input=None):
        return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    return invoke


def test_help_everywhere():
    runner = CliRunner()
    for args in ([], ["db"], ["db", "migrate"], ["import"], ["import", "movielens"], ["rate"],
                 ["recommend"], ["profile"], ["forget"], ["demo"], ["feedback"]):
        result = runner.invoke(main, args + ["--help"])
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_demo_import_rate_recommend_profile_forget(run, tmp_path):
    r = run("demo", "--users", 30, "--films", 200)
    assert r.exit_code == 0, r.output
    assert "personal picks" in r.output and "200 films, 30 users" in r.output
    assert run("db", "migrate").output.strip() == "database is up to date"
    status = json.loads(run("db", "status", "--json").output)
    assert status["films"] == 200 and all(m["applied"] for m in status["migrations"])
    assert "rated" in run("rate", 9999, 1, 4.5).output
    assert "love on" in run("feedback", 9999, 2, "love").output
    recs = json.loads(run("recommend", 1, "-k", 3, "--json").output)
    assert recs["mode"] == "personal" and len(recs["items"]) == 3
    prof = json.loads(run("profile", 1, "--json").output)
    assert prof["n_ratings"] >= 8
    assert "rows deleted" in run("forget", 9999, "--yes").output
    r = run("import", "movielens", tmp_path / "home" / "demo-data")
    assert r.exit_code == 0 and "0 new or changed" in r.output


def test_errors_are_one_clear_line(run, tmp_path):
    run("demo", "--users", 10, "--films", 50)
    for args, message in [(("rate", 1, 1, 7), "half steps"), (("rate", 1, 999999, 4), "unknown film"),
                          (("profile", 424242), "unknown user")]:
        r = CliRunner().invoke(main, [str(a) for a in args])
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("userId,movieId,rating,timestamp\n1,1,4,100\n1,1")
    r = CliRunner().invoke(main, ["import", "ratings", str(bad)])
    assert r.exit_code == 2 and "truncated" in r.output


def test_import_ratings_appends_through_the_rating_path(run, tmp_path):
    run("demo", "--users", 10, "--films", 50)
    f = tmp_path / "new.csv"
    f.write_text("userId,movieId,rating,timestamp\n5000,1,5,1700000000\n5000,2,4,1700000001\n")
    r = run("import", "ratings", f)
    assert r.exit_code == 0 and "2 new or changed" in r.output
    prof = json.loads(run("profile", 5000, "--json").output)
    assert prof["n_ratings"] == 2


def test_core_never_imports_a_front_end():
    """Import every core module with discord, streamlit and the front-end packages blocked."""
    code = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('discord', 'streamlit', 'bot', 'dashboards'):
            raise ImportError('core must not import ' + name)
sys.meta_path.insert(0, Block())
import personalization
for m in pkgutil.walk_packages(personalization.__path__, 'personalization.'):
    if m.name == 'personalization.cli':
        continue  # the CLI loads front-end plugins through entry points, by design
    importlib.import_module(m.name)
print('ok')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
