"""The shape of src/citemed: no import circles, each package imports only the layers below, and
no module or function grows past the length limits without a stated reason.

Every import counts: module level, inside functions, and under `if TYPE_CHECKING:` (a type-only
edge is still a dependency a reader has to follow). docs/architecture.md draws the same layers.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"
PACKAGE = "citemed"

# Lowest first. A module may import its own layer and any layer below it, never one above.
# Top-level modules and packages of citemed are named without the "citemed." prefix;
# "citemed" itself is the package's __init__ (the version string).
LAYERS: list[set[str]] = [
    {"citemed", "model", "errors", "settings", "hooks"},     # foundations: no behaviour
    {"text", "sqlite_wal", "render", "cliutil"},              # shared helpers
    {"sources", "conversation"},                              # input readers, chat threads
    {"library"},                                              # the store and its indexes
    {"cluster"},                                              # ingest on a Ray cluster
    {"retrieve"},
    {"readers"},                                              # the evidence reader (model)
    {"compose"},
    {"audience"},
    {"engine", "demo"},                                       # the API the CLI and web call
    {"articles", "eval"},
    {"web"},
    {"cli", "__main__"},                                      # the composition root
]

# Known exceptions to the layer rules, each with its reason; empty since the library stopped
# importing retrieve (issue 12 moved the dense index and abbreviation miner into library).
ALLOWED_EDGES: set[tuple[str, str]] = set()


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str) -> str | None:
    """The module a dotted name lives in (a name inside a module resolves to the module)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    targets: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from citemed.x import y`: y is the submodule citemed.x.y if there is one.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules() else base
                     for a in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                target = _resolve(name)
                if target and target != module:
                    targets.add(target)
    return targets


@cache
def graph() -> dict[str, frozenset[str]]:
    return {module: frozenset(_imports(module, path)) for module, path in modules().items()}


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str) -> int:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else PACKAGE
    for number, layer in enumerate(LAYERS):
        if name in layer:
            return number
    raise AssertionError(f"{module}: add its package to LAYERS in this test and to "
                         "docs/architecture.md")


def _without_allowed() -> dict[str, frozenset[str]]:
    return {m: frozenset(t for t in targets if (m, t) not in ALLOWED_EDGES)
            for m, targets in graph().items()}


def test_the_graph_sees_module_level_and_function_level_imports():
    edges = graph()
    assert "citemed.model" in edges["citemed.text"]  # module level
    assert "citemed.library.embed" in edges["citemed.engine"]  # inside a method
    assert "citemed.cliutil" in edges["citemed.eval.cli"]


def test_no_import_circles():
    assert cycles(_without_allowed()) == []


def test_cycle_finder_reports_a_circle():
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}),
                   "d": frozenset({"a"})}) == [["a", "b", "c"]]


def test_every_package_imports_only_its_layer_and_below():
    upward = sorted(f"{module} -> {target}" for module, targets in _without_allowed().items()
                    for target in targets if layer_of(target) > layer_of(module))
    assert upward == []


@pytest.mark.parametrize("package,forbidden", [
    ("library", {"retrieve", "compose", "audience", "engine", "web", "articles", "eval", "cli"}),
    ("sources", {"library", "retrieve", "compose", "audience", "engine", "web", "articles",
                 "eval", "cli", "conversation"}),
])
def test_named_layer_rules(package, forbidden):
    broken = sorted(f"{module} -> {target}" for module, targets in _without_allowed().items()
                    if module.split(".")[1:2] == [package]
                    for target in targets if target.split(".")[1:2] and
                    target.split(".")[1] in forbidden)
    assert broken == []


def test_allowed_edges_still_exist():
    """An allow-listed edge that is gone must leave the list, so the list only shrinks."""
    stale = sorted(f"{a} -> {b}" for a, b in ALLOWED_EDGES if b not in graph().get(a, ()))
    assert stale == []


def test_architecture_doc_draws_every_layer_in_order():
    """docs/architecture.md's picture lists the same layers, top (cli) to bottom (model)."""
    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = doc.split("## Packages and what each may import", 1)[1].split("```")[1]
    rows = [line for line in picture.splitlines() if line.strip() and line.strip() != "|"]
    assert len(rows) == len(LAYERS)
    for row, layer in zip(rows, reversed(LAYERS), strict=True):
        names = row.strip().split("  ")[0].replace(",", " ").split()  # before the gloss
        assert set(names) >= layer, (row, layer)


# ---------------------------------------------------------------- lengths

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
# A module over MAX_MODULE_LINES states why in its docstring, in a sentence starting with this.
LONG_MODULE_REASON = "Longer than ~400 lines"

# Functions allowed over MAX_FUNCTION_LINES, each with its reason. The list only shrinks
# (test_long_function_exceptions_are_still_long).
LONG_FUNCTIONS: dict[str, str] = {
    "citemed.articles.migrations.versions.0001_initial.upgrade":
        "a released migration is frozen (its docstring says so)",
    "citemed.compose.compose":
        "the page's steps in reading order (pool, population, lead, sections, focus check, "
        "evidence read, verdict), each a call; 20 of its lines are the keyword signature",
}


def long_functions(source: str, module: str) -> dict[str, int]:
    """Qualified name -> lines of every function or method over MAX_FUNCTION_LINES."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found[name] = length
            visit(child, name)

    visit(ast.parse(source), module)
    return found


def long_module_without_reason(source: str) -> bool:
    if len(source.splitlines()) <= MAX_MODULE_LINES:
        return False
    return LONG_MODULE_REASON not in (ast.get_docstring(ast.parse(source)) or "")


@cache
def _long_functions_in_tree() -> dict[str, int]:
    found: dict[str, int] = {}
    for module, path in modules().items():
        found |= long_functions(path.read_text(encoding="utf-8"), module)
    return found


def _body(indent: str) -> str:
    """MAX_FUNCTION_LINES statements: with its `def` line, one line over the limit."""
    return "\n".join(f"{indent}x{i} = {i}" for i in range(MAX_FUNCTION_LINES)) + "\n"


@pytest.mark.parametrize("source,expected", [
    ("def short():\n    return 1\n", {}),
    ("def long():\n" + _body("    "), {"m.long": MAX_FUNCTION_LINES + 1}),
    ("class C:\n    def method(self):\n" + _body("        "),
     {"m.C.method": MAX_FUNCTION_LINES + 1}),
    ("def outer():\n    def inner():\n" + _body("        "),
     {"m.outer": MAX_FUNCTION_LINES + 2, "m.outer.inner": MAX_FUNCTION_LINES + 1}),
])
def test_long_function_finder(source, expected):
    assert long_functions(source, "m") == expected


@pytest.mark.parametrize("source,flagged", [
    ('"""Short."""\n', False),
    ('"""Long."""\n' + "x = 1\n" * MAX_MODULE_LINES, True),
    (f'"""Long.\n\n{LONG_MODULE_REASON} on purpose: one table."""\n' + "x = 1\n" * 400, False),
])
def test_long_module_finder(source, flagged):
    assert long_module_without_reason(source) is flagged


def test_no_module_over_400_lines_without_a_stated_reason():
    unexplained = sorted(module for module, path in modules().items()
                         if long_module_without_reason(path.read_text(encoding="utf-8")))
    assert unexplained == [], (f"split these modules, or start a paragraph of the module "
                               f"docstring with {LONG_MODULE_REASON!r} and say why")


def test_no_function_over_80_lines():
    long = {name: n for name, n in _long_functions_in_tree().items() if name not in LONG_FUNCTIONS}
    assert long == {}


def test_long_function_exceptions_are_still_long():
    """An exception whose function got short (or went) must leave LONG_FUNCTIONS."""
    stale = sorted(set(LONG_FUNCTIONS) - set(_long_functions_in_tree()))
    assert stale == []


# ---------------------------------------------------------------- docs/architecture.md

# A dotted or slashed name in the doc: `engine.Engine.ask`, `web/service.AnswerService.ask`,
# `library.dense`, `web/templates/answer.html`, `settings.md`; not a URL path (`/api/ask`).
_DOC_NAME = re.compile(r"(?<![/\w.])[A-Za-z_]\w*(?:[./][A-Za-z_]\w*)+\b")
ROOT = SRC.parent


def _defined(tree: ast.AST, name: str) -> ast.AST | None:
    """The top-level def, class or assignment of `name` in a module or class body."""
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return node
        elif isinstance(node, ast.ImportFrom | ast.Import):
            if any((alias.asname or alias.name) == name for alias in node.names):
                return node
    return None


def resolves(name: str) -> bool:
    """True when a name the doc uses is a file, a module, or a module's (class's) attribute."""
    if name.rsplit(".", 1)[-1] in ("py", "html", "md", "json"):
        where = [ROOT / "docs", ROOT, SRC / PACKAGE]
        return any((folder / name).exists() for folder in where) or any(
            path.as_posix().endswith("/" + name) for path in (SRC / PACKAGE).rglob("*.*"))
    parts = [PACKAGE, *name.replace("/", ".").split(".")]
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in modules():
            node: ast.AST | None = ast.parse(modules()[module].read_text(encoding="utf-8"))
            for attribute in parts[cut:]:
                node = _defined(node, attribute) if node is not None else None
            return node is not None
    return False


def test_name_resolver():
    assert resolves("engine.Engine.ask") and resolves("web/service.AnswerService.ask")
    assert resolves("library.dense") and resolves("views.py") and resolves("settings.md")
    assert not resolves("engine.Engine.nothing") and not resolves("retrieve.dense")


def test_every_name_in_the_architecture_doc_exists():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    names = set(_DOC_NAME.findall(doc))
    assert len(names) > 15  # the pattern still finds the doc's names
    assert sorted(name for name in names if not resolves(name)) == []


# The question path as the doc draws it: (name in the doc, call in Engine._ask), in order.
QUESTION_PATH = [
    ("engine.check_question", "check_question"),
    ("conversation.resolve_followup", "resolve_followup"),
    ("retrieve.search", "search"),  # Engine.search -> retrieve.search
    ("compose.compose", "compose"),
    ("audience.adapt", "adapt"),
    ("audience.abbreviations.explain", "explain"),
]


def test_the_doc_draws_the_question_path_in_the_engines_order():
    engine = ast.parse(modules()["citemed.engine"].read_text(encoding="utf-8"))
    ask = next(node for node in ast.walk(engine)
               if isinstance(node, ast.FunctionDef) and node.name == "_ask")
    calls = [(node.lineno, node.col_offset, getattr(node.func, "id", None)
              or getattr(node.func, "attr", None)) for node in ast.walk(ask)
             if isinstance(node, ast.Call)]
    called = [name for _, _, name in sorted(calls)]
    steps = [call for _, call in QUESTION_PATH]
    assert [name for name in called if name in steps] == steps
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    path = doc.split("## One question's path", 1)[1].split("```")[1]
    positions = [path.index(name) for name, _ in QUESTION_PATH]
    assert positions == sorted(positions)
