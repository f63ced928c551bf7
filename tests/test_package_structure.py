"""Conventions as tests: curated public names and at most three positional parameters."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import resistlab

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(resistlab.__path__, prefix="resistlab.")
    if not any(part.startswith("_") for part in name.split(".")[1:])
    and not name.startswith("resistlab.cli")
)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_name_in_all_exists(module_name):
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"


def public_functions():
    seen = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and obj not in seen:
                seen.add(obj)
                yield f"{obj.__module__}.{obj.__qualname__}", obj


@pytest.mark.parametrize(("name", "function"), list(public_functions()))
def test_public_functions_take_at_most_three_positional_parameters(name, function):
    positional = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert len(positional) <= 3, f"{name} has {len(positional)} positional parameters"
