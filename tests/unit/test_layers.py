"""Package layers, read from the source with `ast`: every import counts, also those inside
functions (an import hidden in a function is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[2] / "src"
PACKAGE = SRC / "citemed"

# What the library folder API may build on: the data model, readers and shared helpers.
LIBRARY_MAY_IMPORT = {"citemed", "citemed.errors", "citemed.model", "citemed.settings",
                      "citemed.sources", "citemed.sqlite_wal", "citemed.text", "citemed.library"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Modules of the citemed package that `path` imports (resolved to existing modules)."""
    tree = ast.parse(path.read_text())
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            # "from citemed.library import embed" imports the submodule embed.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "citemed" or name.startswith("citemed."):
                found.add(name)
    return {name for name in found if name in MODULES}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_library_imports_nothing_above_it():
    offending = {
        (module, target) for module, targets in GRAPH.items()
        if module.startswith("citemed.library") for target in targets
        if package_of(target) not in LIBRARY_MAY_IMPORT
    }
    assert not offending, sorted(offending)


def cycles_through(packages: set[str]) -> list[list[str]]:
    """Import cycles between packages (citemed.x) that pass through one of `packages`."""
    edges: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        source = package_of(module)
        for target in targets:
            if package_of(target) != source and package_of(target) != "citemed":
                edges.setdefault(source, set()).add(package_of(target))
    found = []
    for start in packages:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    found.append(path + [start])
                elif nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return found


def test_no_import_cycle_through_the_library_or_retrieval():
    assert cycles_through({"citemed.library", "citemed.retrieve"}) == []


def test_the_cycle_check_sees_a_cycle():
    # The check itself must be able to fail: a made-up edge back from library to retrieve.
    GRAPH["citemed.library.fake"] = {"citemed.retrieve"}
    try:
        assert cycles_through({"citemed.library"})
    finally:
        del GRAPH["citemed.library.fake"]
