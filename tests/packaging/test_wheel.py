"""The built wheel is a working install: it carries the migrations and migrates a fresh database.

Before, only the editable install worked: the migration finder looked for ``sql/`` two folders
above the package, a wheel has none, and ``cinesync db migrate`` applied nothing and said the
database was up to date. This test builds the wheel from a copy of the project's files (what an
sdist or a Docker build context holds), installs it into a fresh virtual environment with the
same two commands as deploy/Dockerfile (``WHEEL_BUILD``, ``WHEEL_INSTALL``), and runs the
installed ``cinesync`` from outside the checkout.

Offline, so both commands get two flags that the Dockerfile does not need: the build uses the
project venv's setuptools (``--no-build-isolation``) and the install resolves every dependency
from the project venv, made visible to the fresh one by a ``.pth`` line (``--no-index``). The
``.pth`` adds that folder to the path without running its ``.pth`` files, so the checkout's
editable install is not active there: the test checks that ``personalization`` is imported from
the fresh environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

import psycopg
import pytest
from packaging_helpers import EXTRAS, ROOT, project_files
from psycopg.conninfo import make_conninfo


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the built wheel installed; returns its bin/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for path in project_files():
        if path.is_dir():
            shutil.copytree(path, src / path.name, ignore=ignore)
        else:
            shutil.copy2(path, src / path.name)
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "--wheel-dir", str(work / "wheels"), "--no-build-isolation", "-q", str(src)])
    (wheel,) = (work / "wheels").glob("cinesync_personalization-*.whl")

    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "zz_project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(python), "-m", "pip", "install", "--no-index", "-q", f"{wheel}[{EXTRAS}]"])
    return venv / "bin"


def in_venv(bin_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CINESYNC_", "PYTHONPATH", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=bin_dir.parent,  # not the checkout: "" on sys.path must not find ./personalization
        env={**base, **(env or {})},
    )


@pytest.mark.slow
def test_the_wheel_carries_the_migrations_and_migrates_a_fresh_database(installed, pg_admin_url):
    where = in_venv(
        installed,
        "python",
        "-c",
        "import personalization, personalization.storage.migrations as m; "
        "print(personalization.__file__); print(m.SQL_DIR); print(*[p.path.name for p in m.discover()])",
    )
    assert where.returncode == 0, where.stderr
    package, sql_dir, names = where.stdout.splitlines()
    assert package.startswith(str(installed.parent)), f"imported from {package}, not from the installed wheel"
    assert sql_dir.startswith(str(installed.parent)) and sql_dir.endswith("personalization/storage/sql")
    assert names.split() == sorted(p.name for p in (ROOT / "sql").glob("*.sql"))

    version = in_venv(installed, "cinesync", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "cinesync 0.1.0"

    name = f"t_wheel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # empty: no template, no schema
    url = make_conninfo(pg_admin_url, dbname=name)
    try:
        env = {"CINESYNC_DATABASE_URL": url, "CINESYNC_HOME": str(installed.parent / "home")}
        migrate = in_venv(installed, "cinesync", "db", "migrate", env=env)
        assert migrate.returncode == 0, migrate.stderr
        applied = [line for line in migrate.stdout.splitlines() if line.startswith("applied V")]
        assert len(applied) == len(list((ROOT / "sql").glob("*.sql"))), migrate.stdout
        again = in_venv(installed, "cinesync", "db", "migrate", env=env)
        assert again.stdout.strip() == "database is up to date", again.stdout + again.stderr
        with psycopg.connect(url) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"movies", "ratings", "schema_migrations"} <= tables, tables
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_the_installed_front_ends_load(installed):
    """The extras the Dockerfile installs are enough for each front-end's command."""
    for command in (["bot", "--help"], ["dashboard", "--help"], ["serve", "--help"]):
        done = in_venv(installed, "cinesync", *command)
        assert done.returncode == 0, done.stderr
        assert "unavailable" not in done.stdout
