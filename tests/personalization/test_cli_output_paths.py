"""Commands that write a file refuse an output they cannot write with one line and exit code 2,
before any work, and never create folders that were not asked for."""

import errno
from pathlib import Path

import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.cli.context import writing
from personalization.errors import CineSyncError, StorageError
from personalization.storage.ops import dump

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"  # never reached: checked first


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CINESYNC_DATABASE_URL", UNREACHABLE)
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    return invoke


@pytest.mark.parametrize(
    "command",
    [["db", "dump", "--yes"], ["export", "parquet"], ["export-user", "7", "-o"]],
    ids=["db dump", "export parquet", "export-user"],
)
def test_a_missing_folder_is_refused_and_not_created(run, tmp_path, command):
    target = tmp_path / "missing" / "deeper" / "out"
    result = run(*command, target)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"error: cannot write {target}: the folder {target.parent} does not exist (create it first)"
    ]
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", [["db", "dump", "--yes"], ["export", "parquet"]], ids=["db dump", "export parquet"])
def test_a_file_in_place_of_the_folder_is_refused(run, tmp_path, command):
    (tmp_path / "u7.json").write_text("{}")
    result = run(*command, "u7.json/x")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: cannot write u7.json/x: {tmp_path / 'u7.json'} is a file, not a folder"


def test_an_unwritable_export_folder_is_one_line(run):
    # /proc exists but nothing can be created in it (root included): mkdir fails with ENOENT
    result = run("export", "parquet", "/proc/cinesync-x")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: cannot write /proc/cinesync-x: No such file or directory"


def test_writing_turns_a_failed_write_into_one_clear_error():
    with pytest.raises(CineSyncError, match=r"^cannot write out\.parquet: No space left on device$"):
        with writing(Path("out.parquet")):
            raise OSError(errno.ENOSPC, "No space left on device")


def test_dump_creates_no_folder(tmp_path):
    with pytest.raises(StorageError, match="does not exist"):
        dump(UNREACHABLE, tmp_path / "missing" / "x.dump")
    assert not (tmp_path / "missing").exists()
