"""`cinesync replay --settings FILE` reads the file as `settings apply` does: a bad file is one
clear error line, never a traceback (a new-user tester found JSONDecodeError, TypeError and
UnicodeDecodeError tracebacks)."""

import pytest
from click.testing import CliRunner

from personalization.cli import main
from personalization.config import ModelSettings
from personalization.evaluation.cut import TuningCut, read_tuned, write_tuned


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"blend_weight": ', "is not JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b'{"blend_weight": "x"}', "blend_weight must be a number"),
        (b'{"nope": 1}', "unknown setting(s) 'nope'"),
        (b"\xff\xfe{", "is not UTF-8 text"),
        (b'{"settings": {}, "tuned_on": {"x": 1}}', "'tuned_on' must be the cut"),
    ],
)
def test_a_bad_settings_file_is_one_clear_error(tmp_path, content, says):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["replay", str(tmp_path), "--settings", str(bad)])
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_tune_wrote_reads_back_with_its_cut(tmp_path):
    path = tmp_path / "tuned_settings.json"
    settings = ModelSettings(blend_weight=0.3)
    write_tuned(path, settings, TuningCut(0.5, 123.0, "ml", 1000))
    assert read_tuned(path) == (settings, TuningCut(0.5, 123.0, "ml", 1000))
