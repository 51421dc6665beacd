"""The `gsmile` command: a thin front end over the core.

Each sub-command lives in its own module exposing `add_parser(subparsers)` and `run(args) ->
int`; `COMMANDS` lists the core's own. Front ends installed beside the core add theirs through the
`gsmile.commands` entry-point group (the TUI registers `gsmile tui` there), so the core never
imports them. Every failure the user can cause or meet (bad options, empty prompt,
missing resource, provider fault) ends as one line on stderr — `gsmile: error: ...` — and a
non-zero exit code (2 for bad input, 1 for everything else), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import Cancelled, ConfigError, GsmileError
from ..sanitize import strip_unsafe

# The core's sub-commands (modules under gsmile_core.cli), in the order shown by --help, with the
# one line --help shows. Only the command being run is imported: `gsmile --help` loads none.
COMMANDS = {
    "explain": "explain which words of a prompt drive the answer",
    "audit": "explain every prompt of a file or fairness set, resumable (JSONL / CSV / text)",
    "tabular": "explain which features of a table row drive a tabular model (scikit-learn)",
    "keys": "store, delete or list API keys (system keyring)",
    "report": "write HTML / Markdown / JSON / SVG reports of a saved session or explanation",
    "metric": "compute one ATT metric (accuracy, fidelity, stability, consistency, faithfulness)",
    "experiment": "reproduce one of the paper's experiments (tables as JSON, CSV, Markdown)",
}
COMMAND_GROUP = "gsmile.commands"


class UsageError(Exception):
    """argparse found bad input; carries its message."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (the caller prints them) instead of usage + exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `gsmile` parser. Every command is listed; only `command` (or, with None, every core
    command) gets its full options, so parsing one command imports only that command's module."""
    parser = OneLineParser(
        prog="gsmile",
        description="gSMILE: which words of a prompt drive an LLM's answer.",
    )
    parser.add_argument("--version", action="version", version=f"gsmile {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name, summary in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(f"{__name__}.{name}").add_parser(sub)
        else:
            sub.add_parser(name, help=summary, add_help=False)  # listed; its options load when run
    for module in plugin_commands():
        module.add_parser(sub)
    return parser


def command_in(argv: Sequence[str]) -> str:
    """The sub-command named on the command line ('' for none: `gsmile --help`, `gsmile`)."""
    first = next((arg for arg in argv if not arg.startswith("-")), "")
    return first if first in COMMANDS else ""


def plugin_commands() -> list:
    """The sub-command modules other installed packages register (`gsmile.commands` entry points)."""
    from importlib.metadata import entry_points

    return [entry.load() for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name)]


# ExplainConfig fields whose flag is not the field's name with dashes.
FLAGS = {"call_timeout": "--timeout", "requests_per_minute": "--rpm"}


def flag_of(field: str) -> str:
    """The command-line flag of an ExplainConfig field: how the CLI names a setting in errors."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def fail(message: str, code: int) -> int:
    # one line, whatever the message quotes (a file name, a provider's words): no escapes
    print(f"gsmile: error: {' '.join(strip_unsafe(message).split())}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(command_in(argv) or "")
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return 2
        return int(args.run(args) or 0)
    except UsageError as error:
        return fail(str(error), 2)
    except ConfigError as error:
        return fail(error.render(flag_of), 2)
    except Cancelled:
        return fail("cancelled", 130)
    except KeyboardInterrupt:
        return fail("cancelled", 130)
    except GsmileError as error:
        return fail(str(error), 1)
    except BrokenPipeError:
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
