"""`gsmile audit FILE --out DIR`: explain every prompt of a file (or every variant of a fairness
template set), resumable; `results.jsonl`, `summary.json`, `report.html` and `report.md` in DIR.

Everything that can be wrong with the input or the folder is found before any model is loaded
or called: the file, its lines, the ids, the templates and groups, the folder and its manifest
(another audit's options are refused), the set's budget, the Ray address.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from . import COMMANDS
from ..errors import ConfigError
from .argtypes import positive_int

EXECUTORS = ("local", "ray")


def add_parser(sub: argparse._SubParsersAction) -> None:
    from .explain import add_explain_options

    parser = sub.add_parser(
        "audit",
        help=COMMANDS["audit"],
        description="Explain every prompt of FILE (JSONL, CSV or one prompt a line), or every variant of "
                    "--templates filled from --groups; resumable: the same command continues where it stopped.",
    )
    parser.add_argument("file", nargs="?", default=None, help="the prompts: .jsonl (id, prompt[, system_prompt, expected]), "
                        ".csv (columns id, prompt, ...) or text (one prompt per line)")
    a = parser.add_argument_group("audit")
    a.add_argument("--out", required=True, metavar="DIR", help="folder of the audit (created; an audit already there is resumed)")
    a.add_argument("--format", choices=("jsonl", "csv", "text"), default=None, help="input format (default: by extension)")
    a.add_argument("--on-bad-line", choices=("stop", "skip"), default="stop",
                   help="a broken line of the input: stop before any call, or skip it and go on (default: %(default)s)")
    a.add_argument("--templates", metavar="FILE", default=None,
                   help="fairness templates with a {slot} (one per line, or JSONL with id and template)")
    a.add_argument("--groups", metavar="FILE", default=None,
                   help="the fillers of each slot: JSON, TOML or lines 'slot: [a, b, c]' (see README)")
    a.add_argument("--force", action="store_true", help="start over: delete this audit's files in DIR first")
    a.add_argument("--retry-failed", action="store_true", help="run again only the prompts that failed")
    a.add_argument("--executor", choices=EXECUTORS, default="local", help="where prompts run (default: %(default)s)")
    a.add_argument("--ray-address", metavar="ADDR", default=None,
                   help="an existing Ray cluster (host:port or ray://host:port); default: a local Ray instance")
    a.add_argument("--prompts-at-once", type=positive_int, default=None, metavar="N",
                   help="prompts in flight at once (default: enough to keep every call slot busy)")
    a.add_argument("--dry-run", action="store_true", help="print each prompt's calls and the set's total and cost; call nothing")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_explain_options(parser)
    parser.set_defaults(run=run)


def audit_input(args: argparse.Namespace):
    from ..batch.audit import AuditInput

    return AuditInput(args.file, args.format, args.on_bad_line, args.templates, args.groups)


def run(args: argparse.Namespace) -> int:
    from ..batch.audit import open_audit, prepare_audit
    from ..batch.plan import plan_lines, plan_set, refuse_over_budget
    from ..batch.runner import pending_items
    from ..calls.dryrun import static_identity
    from .console import stderr_console, stdout_console
    from .engine_options import open_cache, run_context
    from .explain import config_from_args, identity_options

    if args.executor == "ray" and getattr(args, "audit_dir", None):
        # the workers' calls happen in other processes; their requests would never reach this log
        raise ConfigError("--audit-dir records the calls of this process: use it with --executor local")
    config = config_from_args(args)
    model = static_identity(args.backend, identity_options(args))
    prepared = prepare_audit(audit_input(args), args.out, config, model, force=args.force, executor=args.executor)
    if args.executor == "ray":
        from ..batch.executors.ray import check_ray

        check_ray(args.ray_address)
    err = stderr_console()

    def say(line: str, style: str | None = None) -> None:
        err.print(line, style=style, markup=False, highlight=False, soft_wrap=True)

    for line in prepared.prompts.skipped:
        say(f"warning: skipped: {line}", "yellow")
    items, folder = prepared.prompts.items, prepared.folder
    cache = open_cache(args)
    try:
        todo, done = (items, 0) if prepared.mode != "resume" else pending_items(items, folder, args.retry_failed)
        if args.dry_run or config.max_calls is not None or config.max_cost is not None:
            plan = plan_set(todo, config, model, run_context(args, cache), already_done=done)
            if args.dry_run:
                out = stdout_console()
                for line in plan_lines(plan, todo):
                    out.print(line, markup=False, highlight=False, soft_wrap=True)
                return 0
            refuse_over_budget(plan, config, model)
        if open_audit(prepared):
            say(f"warning: {folder.results} ended in a cut line (a write cut short); it was removed and "
                "that prompt runs again", "yellow")
        if prepared.mode == "resume" and not args.quiet:
            say(f"gsmile: resuming {folder.directory}: {done} of {len(items)} prompts already done")
        return _run(args, prepared, cache)
    finally:
        if cache is not None:
            cache.close()


def _run(args: argparse.Namespace, prepared, cache) -> int:
    from ..batch.audit import finish_audit
    from ..batch.runner import run_audit
    from .audit_progress import AuditProgressPrinter
    from .console import stderr_console, stdout_console
    from .engine_options import open_audit as open_audit_log, run_context

    audit_log = open_audit_log(args)
    started = time.monotonic()
    outcome = None
    try:
        with AuditProgressPrinter(stderr_console(), total=len(prepared.prompts.items), enabled=not args.quiet) as progress:
            run = run_context(args, cache, audit_log, progress.notice)
            executor = make_executor(args, prepared.config, run)
            try:
                outcome = asyncio.run(run_audit(prepared.prompts.items, prepared.folder, executor,
                                                retry_failed=args.retry_failed, on_progress=progress.update))
            finally:
                close = getattr(executor, "close", None)
                if close is not None:
                    close()
    finally:
        if audit_log is not None:
            audit_log.close()
        # after a stop or Ctrl-C too: the summary and reports of what is done
        summary = finish_audit(prepared, wall_s=time.monotonic() - started,
                               stopped=None if outcome is None else outcome.stopped)
    counts, calls = summary["counts"], summary["calls"]
    cost = "" if calls["cost_usd"] is None else f" · ${calls['cost_usd']:.4f}"
    stdout_console().print(
        f"audit: {counts['ok']} ok · {counts['failed']} failed · {counts['not_done']} not done · "
        f"{calls['model_calls']} model calls · {calls['cache_hits']} cache hits{cost} · {prepared.folder.report_html}",
        markup=False, highlight=False, soft_wrap=True,
    )
    if outcome.stopped:
        raise_stop(outcome.stopped)
    return 0


def raise_stop(message: str) -> None:
    from ..errors import GsmileError

    raise GsmileError(f"{message} (the finished prompts are kept; the same command continues)")


def make_executor(args: argparse.Namespace, config, run):
    if args.executor == "ray":
        from ..batch.executors.ray import RayExecutor, recipe_from_args

        return RayExecutor(recipe_from_args(args), config, run, address=args.ray_address,
                           cache_dir=None if run.cache is None else str(run.cache.directory),
                           parallel_prompts=args.prompts_at_once)
    from ..backends import create_backend
    from ..batch.executors.local import LocalExecutor
    from .explain import backend_options

    backend = create_backend(args.backend, **backend_options(args, config))
    return LocalExecutor(backend, config, run, parallel_prompts=args.prompts_at_once)
