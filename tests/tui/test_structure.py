"""The app's architecture, checked: one runner calls the pipeline; widgets and screens never
call a model, never build a backend; widgets never parse untrusted text as markup."""

from __future__ import annotations

import ast
from pathlib import Path

import gsmile_tui

PACKAGE = Path(gsmile_tui.__file__).parent


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_runner_calls_the_pipeline():
    callers = [p.relative_to(PACKAGE).as_posix() for p in modules() if "gsmile_core.pipeline.explain" in imported_names(p)]
    assert callers == ["runner.py"]


def test_only_the_runner_runs_trust_checks():
    callers = [p.relative_to(PACKAGE).as_posix() for p in modules()
               if any(n.startswith("gsmile_core.evaluation.checks.") and n.endswith("_check") and "validate" not in n
                      for n in imported_names(p))]
    assert callers == ["runner.py"]


def test_screens_and_widgets_build_no_backend_and_call_no_model():
    for path in modules():
        if path.parent.name in ("screens", "widgets"):
            names = imported_names(path)
            assert not any(n.startswith("gsmile_core.backends") and n.endswith("create_backend") for n in names), path
            assert "gsmile_core.pipeline.explain" not in names, path
            assert ".generate(" not in path.read_text(encoding="utf-8"), path


def test_no_static_or_label_parses_markup():
    """Every Static/Label in the app is created with markup=False (or shows our own text)."""
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Static", "Label"):
                keywords = {k.arg: k.value for k in node.keywords}
                literal_text = node.args and isinstance(node.args[0], ast.Constant)
                markup_off = isinstance(keywords.get("markup"), ast.Constant) and keywords["markup"].value is False
                assert markup_off or literal_text, (
                    f"{path.name}:{node.lineno}: Static/Label without markup=False"
                )
