"""Conventions as tests: curated public names, three positional parameters, pure analyses."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

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


ANALYSES = ("campaign", "dose_response", "imaging", "mechanism", "plates", "rnaseq", "synergy")
EDGES = ("resistlab.io", "resistlab.report", "resistlab.cli", "resistlab.store")


@pytest.mark.parametrize("package", ANALYSES)
def test_analysis_packages_import_no_io_report_cli_or_store(package: str) -> None:
    """Analyses stay pure: files, figures, the command line and the database are edges."""
    folder = Path(resistlab.__file__).parent / package
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [
                f"{path.name}:{node.lineno} {name}"
                for name in names
                if any(name == edge or name.startswith(edge + ".") for edge in EDGES)
            ]
    assert found == []
