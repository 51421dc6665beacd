"""Output of the model-explaining commands (`explain --classifier`, `tabular`): checked targets
before any model call, then JSON, the session and the terminal report, as `gsmile explain` does."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import ConfigError
from ..types import Explanation
from .console import stdout_console
from .session_option import append_run, check_session_target


def check_targets(args: argparse.Namespace) -> None:
    """Fail before loading or calling any model if an output could not be written."""
    if args.json and args.json != "-":
        target = Path(args.json)
        if target.parent and not target.parent.exists():
            raise ConfigError(f"cannot write {target}: folder {target.parent} does not exist")
    check_session_target(getattr(args, "session", None))


def emit(args: argparse.Namespace, explanation: Explanation) -> None:
    """--session, then --json (- = stdout, nothing else printed), else the terminal report."""
    from ..render_terminal import full_report

    payload = json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False)
    if getattr(args, "session", None):
        append_run(args.session, explanation)
    if args.json == "-":
        print(payload)
        return
    if args.json:
        write_text_atomic(Path(args.json), payload + "\n", ConfigError)
    stdout_console().print(full_report(explanation))
