"""Output of the model-explaining commands (`explain --classifier`, `tabular`): checked targets
before any model call, then JSON, the session and the terminal report, as `gsmile explain` does."""

from __future__ import annotations

import argparse
import json
from ..types import Explanation
from .console import stdout_console
from .outputs import check_output, write_or_keep
from .session_option import append_run_or_keep, check_session_target


def check_targets(args: argparse.Namespace) -> None:
    """Fail before loading or calling any model if an output could not be written."""
    check_output(args.json, "--json")
    check_session_target(getattr(args, "session", None))


def emit(args: argparse.Namespace, explanation: Explanation) -> int:
    """--session, then --json (- = stdout, nothing else printed), else the terminal report; the
    exit code (1: an output could not be written, its content kept elsewhere and named)."""
    from ..reports.terminal import full_report

    payload = json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False)
    saved = append_run_or_keep(getattr(args, "session", None), explanation, payload + "\n")
    if args.json == "-":
        print(payload)
        return 0 if saved else 1
    if args.json:
        saved = write_or_keep(args.json, payload + "\n", "--json") and saved
    stdout_console().print(full_report(explanation))
    return 0 if saved else 1
