"""`gsmile tui` and `gsmile-tui`: start the Textual app.

The core never imports the TUI: this module is registered as a `gsmile` sub-command through the
`gsmile.commands` entry-point group (pyproject.toml), which the CLI reads at start. Textual is
imported only when the command runs, so `gsmile --help` and the other commands never load UI code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "tui",
        help="open the auditor's terminal (Textual app)",
        description="The gSMILE auditor's terminal: prompt, live log, heatmap, tables, compare, sessions.",
    )
    add_arguments(parser)
    parser.set_defaults(run=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `gsmile tui`, shared with the `gsmile-tui` script."""
    parser.add_argument("--backend", default=None, help="backend selected at start (default: the last one used, else local)")
    parser.add_argument("--prompt", default="", help="prompt to start with")
    parser.add_argument("--sessions-dir", default=None, help="folder of session files (default: $GSMILE_SESSIONS_DIR or ~/.local/share/gsmile/sessions)")
    parser.add_argument("--session", default=None, help="open this session file at start")
    parser.add_argument("--theme", default=None, help="gsmile-dark, gsmile-light or gsmile-blue-orange (default: the last one used)")


def run(args: argparse.Namespace) -> int:
    from .app import app_from_args

    app_from_args(args).run()  # a bad --session/--theme raises GsmileError: one line, exit 2/1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The `gsmile-tui` script: the same options as `gsmile tui`."""
    from gsmile_core.cli import flag_of
    from gsmile_core.errors import ConfigError, GsmileError

    parser = argparse.ArgumentParser(prog="gsmile-tui", description="The gSMILE auditor's terminal.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        from .app import app_from_args

        app = app_from_args(args)
    except ConfigError as error:
        print(f"gsmile: error: {error.render(flag_of)}", file=sys.stderr)
        return 2
    except GsmileError as error:
        print(f"gsmile: error: {error}", file=sys.stderr)
        return 2
    app.run()
    return 0
