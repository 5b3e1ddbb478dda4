"""The base models the engine knows: one ``ModelSpec`` per model, in one place.

The settings (``ModelSettings``: ``weight_<name>`` and each model's parameters), the blend
(``ensemble.make_base_models``), the replay's model list, ``cinesync tune``'s search space and
its ``--help``, and the dashboard's tuning page all read this registry. Adding a model is one
file (the class and its ``SPEC``) plus one line in ``BUILT_IN``.
"""

from __future__ import annotations

from personalization.core.base_models import als, ease, itemknn, popularity, sequence, trending
from personalization.core.base_models.base import BaseModel, ModelSpec, Param

__all__ = ["REGISTRY", "register", "unregister", "spec", "make_base_model", "settings_params"]

BUILT_IN: tuple[ModelSpec, ...] = (
    popularity.SPEC,
    trending.SPEC,
    itemknn.SPEC,
    ease.SPEC,
    als.SPEC,
    sequence.SPEC,
)

REGISTRY: dict[str, ModelSpec] = {}

RESERVED = frozenset({"personal", "seed", "collaborative", "blend", "cinesync"})


def register(entry: ModelSpec) -> ModelSpec:
    """Add a model (its name must be new; a parameter it shares with another model must be
    declared identically, since both read the same settings field)."""
    if entry.name in REGISTRY or entry.name in RESERVED or not entry.name.isidentifier():
        raise ValueError(f"cannot register a base model named {entry.name!r}")
    known = settings_params()
    for p in entry.params:
        if p.field in known and known[p.field] != p:
            raise ValueError(f"{entry.name}: {p.field} is declared differently by another model")
        if p.field.startswith("weight_"):
            raise ValueError(f"{entry.name}: weight_* names are the prior weights, not parameters")
    REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a model (tests register toy models and remove them again)."""
    REGISTRY.pop(name, None)


def spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown base model {name!r}; choose one of {', '.join(REGISTRY)}") from None


def settings_params() -> dict[str, Param]:
    """Every registered model parameter by its flat settings name (shared ones once)."""
    out: dict[str, Param] = {}
    for entry in REGISTRY.values():
        for p in entry.params:
            out.setdefault(p.field, p)
    return out


def make_base_model(name: str, **arguments: float | str) -> BaseModel:
    """One model by name, built with constructor arguments (the library defaults otherwise)."""
    return spec(name).factory(**arguments)


for _entry in BUILT_IN:
    register(_entry)
