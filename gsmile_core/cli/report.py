"""`gsmile report FILE --html OUT ...`: turn a saved session (or one explanation) into reports.

Reads a session file or an explanation written by `gsmile explain --json` — never calls a model —
and writes any of HTML, Markdown, JSON and an SVG heatmap, each atomically. A broken, foreign or
newer-version input is one line on stderr and is left as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import COMMANDS
from ..errors import ConfigError
from ..reports.palette import PALETTES
from ..reports.render import export
from ..session import SessionError, load_session
from .outputs import check_output


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help=COMMANDS["report"],
        description=(
            "Write reports of FILE: a gSMILE session, or one explanation written by "
            "'gsmile explain --json'. No model is called."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="session JSON or explanation JSON")
    parser.add_argument("--html", metavar="OUT", help="self-contained HTML report")
    parser.add_argument("--markdown", "--md", metavar="OUT", help="Markdown report")
    parser.add_argument("--svg", metavar="OUT", help="SVG of the heatmap(s)")
    parser.add_argument("--json", metavar="OUT", help="the session (or the selected run) as JSON")
    parser.add_argument(
        "--run",
        dest="runs",
        metavar="N",
        action="append",
        default=None,
        help="only run N (1-based position in the session, or a run id like r3); repeatable",
    )
    parser.add_argument(
        "--palette",
        choices=sorted(PALETTES),
        default=None,
        help="heatmap colours (default: blue-orange, colour-blind safe)",
    )
    parser.set_defaults(run=run)


def _run_ids(session, selectors: list[str] | None) -> list[str] | None:
    if not selectors:
        return None
    ids = []
    for selector in selectors:
        if selector.isdigit():
            position = int(selector)
            if not 1 <= position <= len(session.runs):
                raise ConfigError(
                    f"--run {selector}: the file has {len(session.runs)} run(s); choose 1 to {len(session.runs)}"
                )
            ids.append(session.runs[position - 1].id)
        else:
            try:
                ids.append(session.run(selector).id)
            except KeyError:
                known = ", ".join(r.id for r in session.runs) or "none"
                raise ConfigError(f"--run {selector}: no such run (runs: {known})") from None
    return list(dict.fromkeys(ids))


def run(args: argparse.Namespace) -> int:
    outputs = [(fmt, getattr(args, attr)) for fmt, attr in
               (("html", "html"), ("markdown", "markdown"), ("svg", "svg"), ("json", "json")) if getattr(args, attr)]
    if not outputs:
        raise ConfigError("nothing to write: give at least one of --html, --markdown, --svg, --json")
    source = Path(args.file).resolve()
    for fmt, out in outputs:
        target = Path(out)
        if target.resolve() == source:
            raise ConfigError(f"--{fmt} {out} would overwrite the input file")
        check_output(target, f"--{fmt}")
    try:
        session = load_session(args.file)
    except SessionError as error:
        raise ConfigError(str(error)) from None
    if not session.runs:
        raise ConfigError(f"{args.file} holds no runs: nothing to report")
    run_ids = _run_ids(session, args.runs)
    chosen = [session.run(r) for r in run_ids] if run_ids else list(session.runs)
    # One single run (an explanation file, or --run N) gets the one-explanation report, unless it
    # has trust checks: those live in the session, so its report is the session's for that run.
    one = len(chosen) == 1 and chosen[0].kind == "single" and not chosen[0].checks
    subject = chosen[0].explanation if one else session
    for fmt, out in outputs:
        export(subject, fmt, out, palette=args.palette, run_ids=None if subject is not session else run_ids)
        print(f"wrote {fmt} report: {out}", file=sys.stderr)
    return 0
