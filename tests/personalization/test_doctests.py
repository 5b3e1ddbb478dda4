"""The learning core's docstring examples run as tests (issue 9): an example that no longer
matches the code fails here instead of misleading a reader."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import personalization.core

MODULES = sorted(m.name for m in pkgutil.walk_packages(personalization.core.__path__, "personalization.core."))


@pytest.mark.parametrize("name", MODULES)
def test_core_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see output)"


def test_the_core_has_examples() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name)))
    assert examples >= 30, examples
