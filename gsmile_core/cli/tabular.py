"""`gsmile tabular MODEL DATA --row N`: which features of one row drive a tabular model.

MODEL is a fitted scikit-learn estimator saved with joblib or pickle (loading a pickle runs code
inside it: said on stderr each time, and only the named file is read); DATA a CSV or Parquet file,
the row's source and the background its dropped features are drawn from. `--protected COLUMN`
adds the fairness counterfactual: the row with that column swapped, both explained with the same
masks and background draws, scores side by side. The heavy modules load only in `run`.
"""

from __future__ import annotations

import argparse
import sys

from . import COMMANDS
from .argtypes import non_negative_int, number, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..config import SAMPLER_NAMES, SURROGATE_NAMES, ExplainConfig
    from ..scoring.parts import OUTPUT_DISTANCES, ROW_DISTANCES
    from .explain import kernel_width
    from .session_option import add_session_option

    d = ExplainConfig()
    parser = sub.add_parser("tabular", help=COMMANDS["tabular"],
                            description="Explain which features of one row of DATA drive MODEL's prediction (SMILE for tables).")
    parser.add_argument("model", metavar="MODEL", help="a fitted scikit-learn model saved with joblib or pickle (.joblib, .pkl, .pickle): loading it runs code inside it, use only files you trust")
    parser.add_argument("data", metavar="DATA", help="a CSV or Parquet file: the row to explain and the background")
    parser.add_argument("--row", type=non_negative_int, required=True, metavar="N", help="the row to explain (0-based, header excluded)")
    parser.add_argument("--drop", action="append", default=[], metavar="COLUMN", help="a column of DATA the model does not take (the label, an id); repeatable")
    t = parser.add_argument_group("target")
    t.add_argument("--class", dest="explained_class", metavar="CLASS", default=None, help="explain this class's probability change (default: the distance between output distributions; a regressor's value always)")
    t.add_argument("--target-distance", choices=OUTPUT_DISTANCES.names(), default=None, help="distance between output distributions (default: tv)")
    t.add_argument("--row-distance", choices=ROW_DISTANCES.names(), default=None, help="ECDF distance of a perturbed row to the row, for the kernel (default: wasserstein-1d)")
    f = parser.add_argument_group("fairness")
    f.add_argument("--protected", metavar="COLUMN", default=None, help="also explain the row with this column swapped, side by side with deltas")
    f.add_argument("--swap", metavar="VALUE", default=None, help="the counterfactual value (default: the other value of a two-valued column)")
    m = parser.add_argument_group("method")
    m.add_argument("--perturbations", "-n", type=positive_int, default=d.perturbations, help="masks, the original included (default: %(default)s)")
    m.add_argument("--seed", type=non_negative_int, default=d.seed, help="seed of every random choice (default: %(default)s)")
    m.add_argument("--sampler", choices=SAMPLER_NAMES, default=d.sampler, help="mask sampler (default: %(default)s)")
    m.add_argument("--kernel-width", type=kernel_width, default=d.kernel_width, help="σ of the kernel on the row distance, 'auto' or 'uniform' (default: %(default)s)")
    m.add_argument("--surrogate", choices=SURROGATE_NAMES, default=d.surrogate, help="(default: %(default)s)")
    m.add_argument("--bootstrap", type=non_negative_int, default=d.bootstrap, help="permutations per feature test, 0 = off (default: %(default)s)")
    m.add_argument("--alpha", type=number, default=d.alpha, help="significance level (default: %(default)s)")
    m.add_argument("--ci-resamples", type=non_negative_int, default=d.ci_resamples, help="bootstrap refits for intervals, 0 = off (default: %(default)s)")
    m.add_argument("--max-calls", type=positive_int, default=None, metavar="N", help="refuse to run with more than N model calls")
    out = parser.add_argument_group("output")
    out.add_argument("--json", metavar="FILE", default=None, help="write the explanation (with --protected: the counterfactual's too, as a list) as JSON (- for stdout)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_session_option(out)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ..config import ExplainConfig
    from ..errors import ConfigError
    from ..scoring.tabular import load_model_file
    from .console import stderr_console, stdout_console
    from .model_output import check_targets, emit
    from .outputs import write_or_keep
    from .progress import ProgressPrinter

    config = ExplainConfig(
        perturbations=args.perturbations, seed=args.seed, sampler=args.sampler, kernel_width=args.kernel_width,
        surrogate=args.surrogate, bootstrap=args.bootstrap, alpha=args.alpha, ci_resamples=args.ci_resamples,
        max_calls=args.max_calls,
    )
    if args.swap is not None and args.protected is None:
        raise ConfigError("--swap needs --protected COLUMN")
    check_targets(args)
    err = stderr_console()
    model = load_model_file(args.model, notice=lambda message: err.print(f"gsmile: {message}", style="yellow", highlight=False, markup=False))
    options = dict(explained_class=args.explained_class, target_distance=args.target_distance,
                   row_distance=args.row_distance, drop=tuple(args.drop))
    with ProgressPrinter(err, enabled=not args.quiet) as progress:
        if args.protected is None:
            from ..scoring.tabular import explain_row

            single = explain_row(model, args.data, args.row, config, on_event=progress.handle, **options)
        else:
            from ..scoring.counterfactual import explain_counterfactual

            found = explain_counterfactual(model, args.data, args.row, args.protected, args.swap, config,
                                           on_event=progress.handle, **options)
    if args.protected is None:
        return emit(args, single)
    payload = json.dumps([found.original.to_dict(), found.swapped.to_dict()], indent=2, ensure_ascii=False) + "\n"
    saved = True
    if getattr(args, "session", None):
        saved = _append_pair(args.session, found, payload)
    if args.json == "-":
        print(payload, end="")
        return 0 if saved else 1
    if args.json:
        saved = write_or_keep(args.json, payload, "--json") and saved
    from ..reports.model_terminal import counterfactual_view
    from ..reports.terminal import full_report

    console = stdout_console()
    for label, explanation in zip(found.labels, (found.original, found.swapped)):
        console.rule(label)
        console.print(full_report(explanation))
    console.rule(f"Counterfactual: {found.labels[0]} → {found.labels[1]}")
    console.print(counterfactual_view(found))
    return 0 if saved else 1


def _append_pair(path: str, found, payload: str) -> bool:
    """The counterfactual pair as a compare group of the session at `path`, under its lock; if
    that fails, the pair's JSON is kept and the place named."""
    from ..errors import GsmileError
    from ..session import update_session
    from .outputs import keep_unwritten

    try:
        session = update_session(path, lambda s: s.with_compare_group([found.original, found.swapped], list(found.labels)))
    except GsmileError as error:
        keep_unwritten(payload, "counterfactual.json", f"--session: {error}")
        return False
    print(f"counterfactual pair appended to session {path} as group {session.groups[-1].id}", file=sys.stderr)
    return True
