"""Files a new user handed to the CLI that ended in a traceback: now one line, exit code 2."""

from click.testing import CliRunner

from personalization.cli import main


def test_a_settings_file_that_is_not_utf8_is_one_line(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    bad = tmp_path / "settings.json"
    bad.write_bytes(b"\xff\xfe\x00junk")
    r = CliRunner().invoke(main, ["settings", "apply", str(bad)])
    assert r.exit_code == 2 and "is not UTF-8 text" in r.output and "Traceback" not in r.output


def test_a_damaged_parquet_export_is_one_line_and_imports_nothing(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    for name in ("movies", "ratings"):
        (tmp_path / f"{name}.parquet").write_bytes(b"junk")
    r = CliRunner().invoke(main, ["import", "parquet", str(tmp_path)])
    assert r.exit_code == 2 and "not a readable Parquet export" in r.output and "nothing was imported" in r.output
