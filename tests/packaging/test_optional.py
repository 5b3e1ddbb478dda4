"""The engine installs alone; each front-end's packages come with an extra, and a missing one is
named with its extra instead of a bare ``ModuleNotFoundError``.

* pyproject.toml's extras and ``personalization.optional.EXTRAS`` agree, and every third-party
  package that shipped code imports is declared (pandas once was not).
* With every optional package made unimportable (``sys.modules[name] = None``, which is what a
  missing package looks like to ``import``), every core module imports and ``cinesync`` runs.
* With one extra's packages made unimportable, every module of the package that needs it fails
  with ``MissingExtra`` naming that extra, and the CLI command says how to install it.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from personalization.optional import EXTRAS, MissingExtra, extra_for, require

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SHIPPED = ("personalization", "bot", "dashboards")
# The package each extra guards in its __init__ (so every module below it is covered).
GUARDED = {
    "bot": "bot",
    "dashboards": "dashboard",
    "personalization.api": "api",
    "personalization.analytics": "analytics",
}
FIRST_PARTY = {*SHIPPED}
# Packages that come with an extra's package: fastapi brings pydantic and starlette, discord.py aiohttp.
INDIRECT = {"pydantic": "api", "starlette": "api", "aiohttp": "bot"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", name, maxsplit=1)[0]).lower()


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return packages_distributions()


def _modules_of(requirements: list[str]) -> set[str]:
    wanted = {_norm(r) for r in requirements}
    return {module for module, dists in _distributions().items() if wanted & {_norm(d) for d in dists}}


def _module_names() -> list[str]:
    names = []
    for top in SHIPPED:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level) for every absolute import in ``path``."""
    tree = ast.parse(path.read_text())
    found = []
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], id(node) in top_level))
    return found


def test_extras_in_pyproject_match_the_modules_named_in_optional():
    extras = PYPROJECT["project"]["optional-dependencies"]
    front_ends = set(extras) - {"test", "all"}
    assert front_ends == set(EXTRAS), "an extra in pyproject.toml needs its modules in personalization.optional.EXTRAS"
    for extra, modules in EXTRAS.items():
        declared = _modules_of([r for r in extras[extra] if not r.startswith("cinesync-personalization")])
        assert set(modules) <= declared, f"[{extra}] does not bring {set(modules) - declared}"
    assert set(EXTRAS) <= set(extras["all"][0].split("[")[1].rstrip("]").split(","))


def test_every_third_party_import_in_shipped_code_is_declared():
    extras = PYPROJECT["project"]["optional-dependencies"]
    requirements = PYPROJECT["project"]["dependencies"] + [
        r for name, reqs in extras.items() if name != "test" for r in reqs if not r.startswith("cinesync-")
    ]
    declared = _modules_of(requirements) | set(INDIRECT)
    stdlib = set(sys.stdlib_module_names)
    unknown: dict[str, list[str]] = {}
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*.py"):
            for module, _ in _imports(path):
                if module not in stdlib and module not in FIRST_PARTY and module not in declared:
                    unknown.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not unknown, (
        f"imported but not declared in pyproject.toml: {unknown}. Add it to the dependencies, or to an "
        "extra and its import name to personalization.optional.EXTRAS"
    )


def test_module_level_imports_of_optional_packages_sit_under_a_guarded_package():
    """Lazy imports (inside a function) are turned into the extra's message by the CLI; an import
    at module level must be under a package whose __init__ calls require_extra first."""
    optional = {m: extra for extra, modules in EXTRAS.items() for m in modules}
    optional |= INDIRECT
    core = _modules_of(PYPROJECT["project"]["dependencies"])
    wrong = []
    for name in _module_names():
        path = ROOT / Path(*name.split(".")).with_suffix(".py")
        if not path.exists():
            path = ROOT / Path(*name.split(".")) / "__init__.py"
        guard = next((extra for pkg, extra in GUARDED.items() if name == pkg or name.startswith(pkg + ".")), None)
        for module, at_top in _imports(path):
            if at_top and module in optional and module not in core and optional[module] != guard:
                wrong.append(f"{name} imports {module} ([{optional[module]}]) at module level")
    assert not wrong, wrong


BLOCK = """
import json, sys
for name in {blocked!r}:
    sys.modules[name] = None
from personalization.optional import MissingExtra
results = {{}}
for name in {modules!r}:
    try:
        __import__(name)
        results[name] = "ok"
    except MissingExtra as exc:
        results[name] = "extra:" + exc.extra + ":" + str(exc)
    except Exception as exc:
        results[name] = "error:" + type(exc).__name__ + ": " + str(exc)
print(json.dumps(results))
"""


def _import_with_blocked(blocked: list[str], modules: list[str]) -> dict[str, str]:
    script = BLOCK.format(blocked=blocked, modules=modules)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _guard(name: str) -> str | None:
    return next((extra for pkg, extra in GUARDED.items() if name == pkg or name.startswith(pkg + ".")), None)


def test_the_engine_imports_with_no_optional_package():
    everything = sorted({m for modules in EXTRAS.values() for m in modules} | set(INDIRECT))
    core = _modules_of(PYPROJECT["project"]["dependencies"])
    blocked = [m for m in everything if m not in core]
    results = _import_with_blocked(blocked, _module_names())
    for name, outcome in results.items():
        extra = _guard(name)
        if extra is None:
            assert outcome == "ok", f"{name} needs an optional package: {outcome}"
        else:
            assert outcome.startswith(f"extra:{extra}:"), f"{name}: {outcome}"
            assert f"pip install 'cinesync-personalization[{extra}]'" in outcome


@pytest.mark.parametrize("extra", sorted(set(GUARDED.values())))
def test_each_guarded_package_names_its_extra(extra):
    modules = [n for n in _module_names() if _guard(n) == extra]
    results = _import_with_blocked(list(EXTRAS[extra][:1]), modules)
    assert all(r.startswith(f"extra:{extra}:") for r in results.values()), results


CLI = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None
from personalization.cli import main
sys.argv = ["cinesync", *{args!r}]
main()
"""


def _cli_with_blocked(blocked: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    script = CLI.format(blocked=blocked, args=list(args))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_cli_names_the_extra_a_command_needs(tmp_path):
    everything = sorted({m for modules in EXTRAS.values() for m in modules})
    listing = _cli_with_blocked(everything, "--help")
    assert listing.returncode == 0, listing.stderr
    assert "needs the [bot] extra" in listing.stdout and "needs the [dashboard] extra" in listing.stdout

    for args, extra in (
        (["bot"], "bot"),
        (["dashboard"], "dashboard"),
        (["serve"], "api"),
        (["export", "parquet", str(tmp_path)], "analytics"),
    ):
        done = _cli_with_blocked(everything, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert f"pip install 'cinesync-personalization[{extra}]'" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_require_imports_or_names_the_extra(monkeypatch):
    assert require("json", extra="bot").dumps([]) == "[]"
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(MissingExtra, match=r"polars is not installed: it comes with the \[analytics\] extra") as info:
        require("polars", extra="analytics")
    assert isinstance(info.value, ImportError) and info.value.extra == "analytics"
    assert extra_for("discord.ext") == "bot" and extra_for("numpy") is None
