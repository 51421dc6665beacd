"""What a user installs: every package of the source tree, the data files, the themes inside the
TUI's package (never a bare top-level `themes`), and the `gsmile tui` command as an entry point."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def configured_packages() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]


def source_packages() -> set[str]:
    found = set()
    for top in ("gsmile_core", "gsmile_tui"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    return found


def test_every_source_package_is_listed_for_installation():
    listed = set(configured_packages())
    assert source_packages() <= listed, f"not installed: {sorted(source_packages() - listed)}"
    assert listed - source_packages() == {"gsmile_tui.bundled_themes"}


@pytest.mark.slow
def test_the_wheel_holds_the_themes_inside_the_tui_and_no_top_level_themes(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("gsmile-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"gsmile_core", "gsmile_tui"}
    themes = {name for name in names if name.startswith("gsmile_tui/bundled_themes/") and name.endswith(".toml")}
    assert {Path(t).name for t in themes} >= {"gsmile-dark.toml", "gsmile-light.toml", "gsmile-blue-orange.toml"}
    assert "gsmile_core/data/prices.json" in names and "gsmile_core/data/labelled_prompts.json" in names
    assert any(name.startswith("gsmile_tui/") and name.endswith(".tcss") for name in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[gsmile.commands]" in text and "tui = gsmile_tui.cli" in text


def test_gsmile_tui_is_reached_through_the_entry_point_without_the_core_importing_it():
    code = (
        "import sys\n"
        "from gsmile_core.cli import build_parser\n"
        "args = build_parser().parse_args(['tui', '--prompt', 'x'])\n"
        "assert args.run.__module__ == 'gsmile_tui.cli', args.run.__module__\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", "listing the commands loaded textual"


def test_the_suite_runs_on_the_declared_python_floor():
    """requires-python says what is tested: CI's interpreter is the declared minimum (3.11:
    typing.Self and tomllib are used), so a newer-only feature cannot slip in unnoticed."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert declared == ">=3.11"
    assert sys.version_info[:2] >= (3, 11)
    if __import__("os").environ.get("CI") == "true":
        assert sys.version_info[:2] == (3, 11), "CI must run the declared floor"
