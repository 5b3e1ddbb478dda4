"""What the wheel test and the deployment files share: the install commands and the build's files."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The Dockerfile's two install steps (tests/packaging/test_deploy.py checks it still holds them).
WHEEL_BUILD = "pip wheel --no-deps --wheel-dir /wheels ."
WHEEL_INSTALL = 'pip install "$(ls /wheels/cinesync_personalization-*.whl)[bot,dashboard,api]"'
EXTRAS = "bot,dashboard,api"  # the extras WHEEL_INSTALL names


def project_files() -> list[Path]:
    """What a build needs: pyproject's packages, sql/ and the build files (no caches, no venv)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*").split(".")[0] for p in patterns}
    return [ROOT / name for name in sorted(packages)] + [
        ROOT / name for name in ("sql", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
    ]
