"""`gsmile experiment NAME --backend ... --out DIR`: reproduce one of the paper's tables.

`gsmile experiment --list` names them. Each writes NAME.json (everything, with provenance),
NAME.csv and NAME.md into --out, prints the Markdown table, and shows a progress bar with an ETA
on stderr. Answers are shared within the run and, unless --no-cache, stored in the response
cache, so a second run asks the model nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.text import Text

from ..backends import create_backend
from . import COMMANDS
from ..errors import ConfigError, GsmileError
from ..evaluation.experiments import EXPERIMENTS, ExperimentContext, run_experiment, write_outputs
from .engine_options import opened_run
from .argtypes import non_negative_int, number, positive_int
from .console import safe_text, stderr_console
from .explain import add_explain_options, backend_options, config_from_args
from .outputs import check_output_folder, error_line, unsaved_path
from .progress import ExperimentProgress


def _numbers(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def _fraction(text: str) -> float:
    value = number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "experiment",
        help=COMMANDS["experiment"],
        description="Reproduce one of the paper's experiments on the chosen model; --list names them.",
    )
    parser.add_argument("name", nargs="?", help="the experiment (see --list)")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--out", default=None, metavar="DIR", help="folder for NAME.json, NAME.csv and NAME.md (required to run)")
    e = parser.add_argument_group("experiment")
    e.add_argument("--prompt", default=None, help="prompt for perturbations/distances/runtime/consistency (default: 'What is the meaning of life?')")
    e.add_argument("--counts", type=_numbers, default=None, metavar="N,N,...", help="perturbation counts for 'perturbations' (default: 32,64,128,256)")
    e.add_argument("--repeats", type=positive_int, default=None, help="runs for 'consistency' (default: 10)")
    e.add_argument("--prompts", type=positive_int, default=None, metavar="N", help="use the first N labelled prompts (default: all 10)")
    e.add_argument("--k", type=positive_int, default=None, help="top-k words for 'stability' (default: 3)")
    e.add_argument("--edit-suffix", default=None, help="token appended for 'stability' (default: please)")
    e.add_argument("--top-k", type=positive_int, default=None, help="'accuracy': predict the top K words critical (default: K = number of critical words)")
    e.add_argument("--threshold", type=float, default=None, help="'accuracy': predict words with score > T critical instead of top-k")
    e.add_argument("--published-accuracy", type=_fraction, default=None, help="'accuracy': the model's externally reported accuracy, shown beside the table")
    e.add_argument("--all-pairs", action="store_true", help="'distances': every registered input × output pair, not only the paper's five")
    e.add_argument("--finalists", type=non_negative_int, default=None, help="'defaults': best configurations that take the deletion test, 0 = none (default: 6)")
    e.add_argument("--random-seeds", type=positive_int, default=None, help="'defaults': random orders per deletion test (default: 5)")
    add_explain_options(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


OPTION_NAMES = ("prompt", "counts", "repeats", "prompts", "k", "edit_suffix", "top_k", "threshold",
                "published_accuracy", "all_pairs", "finalists", "random_seeds")


def list_experiments() -> str:
    width = max(len(n) for n in EXPERIMENTS.names())
    return "\n".join(f"{n.ljust(width)}  {EXPERIMENTS.help(n)}" for n in EXPERIMENTS.names())


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(list_experiments())
        return 0
    if not args.name:
        raise ConfigError("name an experiment (see 'gsmile experiment --list')")
    EXPERIMENTS.get(args.name)  # unknown names fail before any model loads
    if not args.out:
        raise ConfigError("--out DIR is required: the folder for the JSON, CSV and Markdown results")
    out = Path(args.out)
    check_output_folder(out, "--out")
    if args.threshold is not None and args.top_k is not None:
        raise ConfigError("choose --top-k or --threshold, not both")
    config = config_from_args(args)
    options = {name: getattr(args, name) for name in OPTION_NAMES}
    options["all_pairs"] = bool(args.all_pairs) or None
    with opened_run(args) as run:
        backend = create_backend(args.backend, **backend_options(args, config))
        err = stderr_console()
        with ExperimentProgress(err, enabled=not args.quiet) as progress:
            progress.label = args.name
            context = ExperimentContext(backend, config, options, run=run.with_events(progress.handle))
            result = asyncio.run(_run(args.name, context))
    sys.stdout.write(safe_text(result.markdown()))
    try:
        written = write_outputs(result, out)
    except GsmileError as error:
        kept = write_outputs(result, unsaved_path(args.name))  # the paid-for tables are not lost
        error_line(f"--out: {error}; the results are kept in {kept[0].parent}")
        return 1
    stderr_console().print(Text("wrote " + ", ".join(str(p) for p in written)))
    return 0


async def _run(name, context):
    try:
        return await run_experiment(name, context)
    finally:
        await context.backend.aclose()
