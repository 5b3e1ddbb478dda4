"""What entry points own: thread limits, configuration errors, the CLI's commands and plugins.

Importing the package changes nothing (issue 9): each entry point calls ``configure_threads()``.
A configuration error is one line and exit code 2. The core's commands are registered directly;
a front-end plugin that fails to load says so, with the reason, in ``--help`` and when called.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest
from click.testing import CliRunner

from personalization.cli import main

CLI = sys.modules["personalization.cli.main"]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env}, timeout=120
    )


def test_importing_the_package_and_its_modules_changes_no_environment_variable():
    # Third-party libraries loaded first: what they do on import (polars sets _RJEM_MALLOC_CONF)
    # is not ours to judge.
    code = """
import importlib, os, pkgutil
import numpy, polars, psycopg
before = dict(os.environ)
import personalization
for m in pkgutil.walk_packages(personalization.__path__, 'personalization.'):
    importlib.import_module(m.name)
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
print(changed)
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_configure_threads_sets_one_blas_thread_unless_told_otherwise():
    code = """
import os
import numpy
from threadpoolctl import threadpool_info
from personalization.threads import configure_threads
configure_threads()
blas = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']
print(os.environ.get('OPENBLAS_NUM_THREADS'), set(blas) <= {1})
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "True"]
    explicit = _python(code.replace("set(blas) <= {1}", "True"), OPENBLAS_NUM_THREADS="2")
    assert explicit.stdout.split() == ["2", "True"]  # an explicit setting wins


def test_a_configuration_error_is_one_line_and_exit_code_2(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    monkeypatch.setenv("CINESYNC_DIM", "abc")
    r = CliRunner().invoke(main, ["db", "status"], catch_exceptions=False)
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == ["error: CINESYNC_DIM must be an integer, got 'abc'"]
    monkeypatch.setenv("CINESYNC_DIM", "4")
    r = CliRunner().invoke(main, ["db", "status"], catch_exceptions=False)
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == ["error: CINESYNC_DIM: dim must be between 8 and 4096, got 4"]


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("CINESYNC_POOL_MAX", "0", "error: CINESYNC_POOL_MAX must be at least 1 connection, got 0"),
        ("CINESYNC_POOL_MAX", "-1", "error: CINESYNC_POOL_MAX must be at least 1 connection, got -1"),
        ("CINESYNC_BLEND_WEIGHT", "2", "error: CINESYNC_BLEND_WEIGHT: blend_weight must be in [0, 1], got 2.0"),
        ("CINESYNC_HOME", "/proc/nope", "error: cannot create the home folder /proc/nope (No such file"),
    ],
)
def test_settings_a_new_user_got_wrong_are_one_line_naming_the_variable(
    variable, value, message, tmp_path, monkeypatch
):
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path))
    monkeypatch.delenv("CINESYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv(variable, value)
    r = CliRunner().invoke(main, ["db", "status"], catch_exceptions=False)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].startswith(message)


def test_config_error_is_a_cinesync_error():
    from personalization.config import ConfigError
    from personalization.errors import CineSyncError

    assert issubclass(ConfigError, CineSyncError) and issubclass(ConfigError, ValueError)


@pytest.fixture
def plugins(monkeypatch):
    """Make the CLI load its plugins again from the entry points this test gives it."""
    core = {name: cmd for name, cmd in main.commands.items() if name not in ("bot", "dashboard")}

    def use(*eps: EntryPoint) -> None:
        monkeypatch.setattr(main, "commands", dict(core))
        monkeypatch.setattr(main, "_plugins_loaded", False)
        monkeypatch.setattr(CLI, "entry_points", lambda group: [e for e in eps if e.group == group])

    return use


def test_core_commands_are_registered_without_entry_points(plugins):
    plugins()  # no plugin at all
    runner = CliRunner()
    for name in ("replay", "tune", "bench", "export"):
        r = runner.invoke(main, [name, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output, (name, r.output)
    assert "bot" not in runner.invoke(main, ["--help"]).output.split("Commands:")[1]


def test_a_broken_plugin_says_why_in_help_and_when_called(plugins):
    plugins(
        EntryPoint(name="bot", value="no_such_front_end.cli:bot_command", group="cinesync.cli"),
        EntryPoint(name="dashboard", value="dashboards.cli:dashboard_command", group="cinesync.cli"),
    )
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"]).output
    bot_line = next(line for line in listing.splitlines() if line.strip().startswith("bot "))
    assert "unavailable" in bot_line and "ModuleNotFoundError" in bot_line
    assert any(line.strip().startswith("dashboard ") for line in listing.splitlines())  # the good one loads
    r = runner.invoke(main, ["bot", "--print-commands"])
    assert r.exit_code == 2 and "No such command" not in r.output
    assert "`bot` command could not be loaded" in r.output and "no_such_front_end" in r.output
    assert "Traceback" not in r.output


def test_a_plugin_never_replaces_a_core_command(plugins):
    plugins(EntryPoint(name="replay", value="no_such_front_end:cmd", group="cinesync.cli"))
    r = CliRunner().invoke(main, ["replay", "--help"])
    assert r.exit_code == 0 and "Prequential replay" in r.output


def test_help_loads_neither_numpy_nor_psycopg_nor_a_front_end():
    code = """
import sys
from personalization.cli import main
try:
    main(['--help'])
except SystemExit:
    pass
print(sorted(m for m in ('numpy', 'psycopg', 'discord', 'streamlit', 'polars') if m in sys.modules))
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_no_third_party_warning_reaches_the_terminal(tmp_path):
    """pgserver's platformdirs warns about XDG_RUNTIME_DIR at import (as root): not our user's business."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env["CINESYNC_HOME"] = str(tmp_path)
    env.pop("CINESYNC_DATABASE_URL", None)
    r = subprocess.run(
        [sys.executable, "-c", "from personalization.cli import main; main()", "db", "stop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and r.stdout.strip() == "not running"
    assert "Warning" not in r.stderr, r.stderr
