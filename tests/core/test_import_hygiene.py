"""The core never imports the UI, and its modules import one another without loops.

Two views, because each misses something the other sees: importing every module in a fresh
interpreter shows what really loads (imports made by libraries too), and reading every module's
source shows every import statement, those inside functions included, which only run later.
The import-linter contracts in pyproject.toml (tests/core/test_import_contracts.py) add the layers.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import gsmile_core

CORE = Path(gsmile_core.__file__).resolve().parent
UI_PACKAGES = {"textual", "gsmile_tui"}


def test_core_modules_do_not_load_textual():
    modules = [m.name for m in pkgutil.walk_packages(gsmile_core.__path__, "gsmile_core.") if m.name != "gsmile_core.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'gsmile_tui'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"gsmile_core loaded UI modules: {result.stdout}"
    assert len(modules) > 15


def core_modules() -> dict[str, Path]:
    found = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported_names(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module `name` imports, at any depth of its source (functions, methods, branches)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = core_modules()
    known = set(modules)
    return {name: imported_names(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
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

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_source_reader_sees_imports_inside_functions(tmp_path):
    """The reader itself can fail: a function-level import is an edge like any other."""
    path = tmp_path / "b.py"
    path.write_text("def later():\n    from ..x import y\n    import textual.app\n")
    names = imported_names("gsmile_core.a.b", path, {"gsmile_core.x.y"})
    assert names == {"gsmile_core.x", "gsmile_core.x.y", "textual.app"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_core_module_imports_the_ui_even_inside_a_function():
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if target.split(".")[0] in UI_PACKAGES
    )
    assert offenders == []


def test_the_core_has_no_import_loops_counting_imports_inside_functions():
    assert cycles(import_graph()) == []
