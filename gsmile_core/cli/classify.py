"""`gsmile explain TEXT --classifier vader|module:function`: explain a text classifier.

The text is masked as a prompt is; the classifier (the bundled VADER demo, or a function the user
names as module:function, returning class probabilities or scores for a text) scores every
perturbed text locally; the target is the distance between output distributions (--target-distance)
or one class's probability change (--class). The options shared with `gsmile explain` (masks,
surrogate, kernel, intervals, permutation draws) mean the same.
"""

from __future__ import annotations

import argparse

from ..errors import ConfigError

# `gsmile explain` options that only a generative model has.
GENERATIVE_ONLY = (("dry_run", "--dry-run"), ("shapley", "--shapley"), ("drill_down", "--drill-down"),
                   ("answer_span", "--answer-span"), ("output_distance", "--output-distance"))


def add_classifier_options(parser: argparse.ArgumentParser) -> None:
    from ..scoring.parts import BUNDLED_CLASSIFIERS as BUNDLED, OUTPUT_DISTANCES

    g = parser.add_argument_group("text classifier (instead of a generative model)")
    g.add_argument("--classifier", metavar="NAME|MODULE:FUNCTION", default=None,
                   help=f"explain a text classifier: {', '.join(f'{k} ({v})' for k, v in BUNDLED.items())}, or "
                        "module:function returning class probabilities or scores for a text")
    g.add_argument("--class", dest="explained_class", metavar="CLASS", default=None,
                   help="explain this class's probability change (default: the distance between output distributions)")
    g.add_argument("--target-distance", choices=OUTPUT_DISTANCES.names(), default=None,
                   help="distance between the original and perturbed output distributions (default: tv)")


def run_classifier(args: argparse.Namespace, text: str, config) -> int:
    from ..scoring.classifier import explain_text_classifier
    from .model_output import check_targets, emit
    from .console import stderr_console
    from .progress import ProgressPrinter

    for name, flag in GENERATIVE_ONLY:
        if getattr(args, name, None):
            raise ConfigError(f"{flag} applies to a generative model, not to --classifier")
    check_targets(args)
    with ProgressPrinter(stderr_console(), enabled=not args.quiet) as progress:
        explanation = explain_text_classifier(
            text, args.classifier, config, explained_class=args.explained_class,
            target_distance=args.target_distance, on_event=progress.handle,
        )
    return emit(args, explanation)
