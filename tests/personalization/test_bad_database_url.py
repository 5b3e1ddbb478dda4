"""A wrong CINESYNC_DATABASE_URL is one line naming the variable, exit code 2, within seconds:
a malformed one before any connection, a refused one after one direct attempt (no pool retries
and their multi-line warnings)."""

import logging

import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.config import ConfigError, Settings
from personalization.errors import StorageError
from personalization.storage.db import open_database

REFUSED = "postgresql://postgres@127.0.0.1:1/x"  # port 1: nothing listens, refused at once


@pytest.mark.parametrize(
    ("url", "start"),
    [
        ("notaurl", 'CINESYNC_DATABASE_URL is not a PostgreSQL URL (missing "=" after "notaurl"'),
        (REFUSED, f"cannot connect to PostgreSQL at {REFUSED}: connection failed:"),
    ],
    ids=["malformed", "refused"],
)
def test_one_line_naming_the_variable_and_no_pool_warnings(tmp_path, caplog, url, start):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as failure:
        open_database(Settings(home=tmp_path, database_url=url))
    message = str(failure.value)
    assert message.startswith(start), message
    assert "\n" not in message
    assert "CINESYNC_DATABASE_URL" in message
    assert not [r for r in caplog.records if r.name.startswith("psycopg.pool")]  # no pool was opened


def test_a_malformed_url_does_not_show_what_may_be_its_password(tmp_path):
    with pytest.raises(StorageError) as failure:
        open_database(Settings(home=tmp_path, database_url="postgresql://me:s3cr et@db/x"))
    assert "s3cr" not in str(failure.value)
    assert str(failure.value).startswith("CINESYNC_DATABASE_URL is not a PostgreSQL URL: give postgresql://")


def test_the_cli_prints_one_line_and_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    monkeypatch.setenv("CINESYNC_DATABASE_URL", "notaurl")
    result = CliRunner().invoke(main, ["recommend", "1"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CINESYNC_DATABASE_URL is not a PostgreSQL URL"), lines


def test_the_pool_timeout_is_read_from_the_environment():
    assert Settings.from_env({}).pool_timeout == 30.0
    assert Settings.from_env({"CINESYNC_POOL_TIMEOUT": "5"}).pool_timeout == 5.0
    for wrong in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match="^CINESYNC_POOL_TIMEOUT must be a number"):
            Settings.from_env({"CINESYNC_POOL_TIMEOUT": wrong})
