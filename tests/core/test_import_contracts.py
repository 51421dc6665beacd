"""The import-linter contracts of pyproject.toml hold: no UI in the core, layers whose arrows point
down, no loops between sibling packages (imports inside functions count: grimp reads them all)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports() -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(script), "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_every_import_linter_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    assert result.stdout.count(" KEPT") >= 3


def test_the_contracts_can_fail(tmp_path):
    """A layer violation planted in a copy of the core is caught (the contracts are not vacuous)."""
    copy = tmp_path / "tree"
    subprocess.run(["cp", "-r", str(ROOT / "gsmile_core"), str(ROOT / "gsmile_tui"), str(ROOT / "pyproject.toml"), str(tmp_path)], check=True)
    copy.mkdir()
    for name in ("gsmile_core", "gsmile_tui", "pyproject.toml"):
        (tmp_path / name).rename(copy / name)
    planted = copy / "gsmile_core" / "method" / "segment.py"
    planted.write_text(planted.read_text() + "\n\ndef _later():\n    from ..pipeline import explain  # a method module reaching up\n")
    script = Path(sys.executable).with_name("lint-imports")
    env = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(script), "--no-cache"], capture_output=True, text=True, cwd=copy, env=env, timeout=300)
    assert result.returncode != 0
    assert "gsmile_core.method.segment -> gsmile_core.pipeline" in result.stdout
