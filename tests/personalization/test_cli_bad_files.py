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


def test_a_utf16_ratings_file_is_called_not_utf8_rather_than_truncated(tmp_path, monkeypatch, db_url):
    """A spreadsheet's "Unicode text" export was refused as "the file looks truncated"."""
    monkeypatch.setenv("CINESYNC_DATABASE_URL", db_url)
    path = tmp_path / "ratings.csv"
    path.write_bytes("userId,movieId,rating,timestamp\n1,1,4,1600000000\n".encode("utf-16"))
    r = CliRunner().invoke(main, ["import", "ratings", str(path)])
    assert r.exit_code != 0 and "not UTF-8 text" in r.output and "truncated" not in r.output
