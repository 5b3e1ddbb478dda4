"""Build step only (the project's metadata is in pyproject.toml): ship the migrations.

The top-level ``sql/`` folder is the one source of the schema. Building a wheel (or ``pip install
.``) copies it into the package as ``personalization/storage/sql/``, where
``personalization.storage.migrations`` finds it with importlib.resources; an editable install
reads ``sql/`` in the checkout instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "sql"


class BuildWithMigrations(build_py):
    def run(self) -> None:
        super().run()
        files = sorted(SOURCE.glob("*.sql"))
        if not files:
            raise SystemExit(f"no migrations in {SOURCE}: the wheel would carry no schema")
        target = Path(self.build_lib) / "personalization" / "storage" / "sql"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path in files:
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithMigrations})
