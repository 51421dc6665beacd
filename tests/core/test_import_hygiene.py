"""The core never imports the UI: every gsmile_core module loads without textual or gsmile_tui."""

import pkgutil
import subprocess
import sys

import gsmile_core


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
