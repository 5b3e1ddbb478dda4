"""Versioned model settings: every change is a stored version with when, from where and what
changed; rollback installs an older version as a new one; every process follows."""

import json

import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.errors import CineSyncError
from personalization.service import Service


@pytest.fixture
def run(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))

    def invoke(*args):
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        return result

    return invoke


def test_each_save_is_a_version_and_rollback_restores_an_older_one(service, settings, db_url):
    assert service.settings_history() == []
    service.save_model_settings(source="test one", blend_weight=0.3)
    service.save_model_settings(source="test two", blend_weight=0.5, weight_ease=0.4)
    newest, first = service.settings_history()
    assert (first.version, newest.version) == (1, 2)
    assert first.source == "test one" and "@" in first.author and first.created_at <= newest.created_at
    assert first.changes == {"blend_weight": [0.2, 0.3]}
    assert newest.changes["blend_weight"] == [0.3, 0.5] and newest.value["weight_ease"] == 0.4
    assert service.model_settings.blend_weight == 0.5

    done = service.rollback_model_settings(1, source="test")
    assert done.version == 3 and "rollback to version 1" in done.source
    assert done.changes["blend_weight"] == [0.5, 0.3]
    assert service.model_settings.blend_weight == pytest.approx(0.3)
    assert service.model_settings.value("weight_ease") == first.value["weight_ease"]
    # Another process opening the database uses the newest version.
    with Service.open(settings, url=db_url, listen=False) as other:
        assert other.model_settings.blend_weight == pytest.approx(0.3)
        assert [v.version for v in other.settings_history()] == [3, 2, 1]


def test_a_save_or_rollback_that_changes_nothing_stores_no_version(service, run):
    service.save_model_settings(source="test", blend_weight=0.3)
    again = service.save_model_settings(source="test again", blend_weight=0.3)
    assert again.blend_weight == 0.3
    assert [v.version for v in service.settings_history()] == [1]
    done = service.rollback_model_settings(1, source="test")
    assert done.version == 1 and [v.version for v in service.settings_history()] == [1]
    r = run("settings", "set", "blend_weight=0.3")
    assert r.exit_code == 0 and "no change: version 1 stays in force" in r.output, r.output
    r = run("settings", "rollback", 1)
    assert r.exit_code == 0 and "already in force (version 1): nothing saved" in r.output, r.output
    assert [v.version for v in service.settings_history()] == [1]


def test_invalid_changes_are_refused_and_store_nothing(service):
    with pytest.raises(CineSyncError, match="unknown setting"):
        service.save_model_settings(blend_wieght=0.3)
    with pytest.raises(CineSyncError, match="blend_weight must be in"):
        service.save_model_settings(blend_weight=3.0)
    with pytest.raises(CineSyncError, match="whole number"):
        service.save_model_settings(dim=12.5)
    with pytest.raises(CineSyncError, match="no settings version 7"):
        service.rollback_model_settings(7)
    assert service.settings_history() == []


def test_cli_show_set_apply_history_rollback(run, tmp_path):
    r = run("settings", "set", "blend_weight=0.35", "learning_rate=0.2")
    assert r.exit_code == 0, r.output
    assert "version 1" in r.output and "blend_weight 0.2 -> 0.35" in r.output
    shown = json.loads(run("settings", "show", "--json").output)
    assert shown["version"] == 1 and shown["settings"]["blend_weight"] == 0.35

    # `cinesync tune` writes a flat settings file: `settings apply` installs it.
    tuned = tmp_path / "tuned_settings.json"
    tuned.write_text(json.dumps({**shown["settings"], "blend_weight": 0.6}))
    r = run("settings", "apply", tuned)
    assert r.exit_code == 0 and "version 2" in r.output and "0.35 -> 0.6" in r.output

    history = json.loads(run("settings", "history", "--json").output)
    assert [h["version"] for h in history] == [2, 1]
    assert history[0]["source"] == "cli: settings apply tuned_settings.json"
    r = run("settings", "rollback", 1)
    assert r.exit_code == 0 and "installed as version 3" in r.output, r.output
    assert json.loads(run("settings", "show", "--json").output)["settings"]["blend_weight"] == 0.35
    assert "rollback to version 1" in run("settings", "history").output

    bad = run("settings", "set", "blend_weight=lots")
    assert bad.exit_code == 2 and "blend_weight must be a number" in bad.output
    # sizes no library underneath can take were saved, then `train` failed inside implicit
    huge = run("settings", "set", "knn_neighbours=1e12")
    assert huge.exit_code == 2 and "knn_neighbours must be at most 1,000,000" in huge.output
    assert "ease_l2 must be at most" in run("settings", "set", "ease_l2=1e300").output
    assert json.loads(run("settings", "show", "--json").output)["settings"]["blend_weight"] == 0.35  # nothing saved
    assert run("settings", "rollback", 99).exit_code == 2


def test_a_row_saved_before_the_history_is_version_one(pg_admin_url, tmp_path):
    """Migrating a database whose engine_settings already holds model settings keeps them."""
    import uuid

    import psycopg
    from psycopg.conninfo import make_conninfo
    from psycopg_pool import ConnectionPool

    from personalization.config import Settings
    from personalization.storage.migrations import discover, migrate

    name = f"s_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(pg_admin_url, dbname=name)
    try:
        with ConnectionPool(url, min_size=1, max_size=1) as pool:
            early = tmp_path / "sql"
            early.mkdir()
            for m in discover():
                if m.version < 3:
                    (early / m.path.name).write_text(m.path.read_text())
            migrate(pool, early)
            with pool.connection() as conn:
                conn.execute(
                    "INSERT INTO engine_settings (key, value) VALUES ('model_settings', %s)",
                    (json.dumps({"blend_weight": 0.45}),),
                )
            migrate(pool)
        with Service.open(Settings(home=tmp_path / "h"), url=url, listen=False) as svc:
            (v1,) = svc.settings_history()
            assert v1.version == 1 and v1.source == "saved before settings history"
            assert svc.model_settings.blend_weight == pytest.approx(0.45)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
