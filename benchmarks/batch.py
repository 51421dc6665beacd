"""How close does an audit of a prompt set get to the ideal wall time, and is its memory flat?

One run, every figure measured in a fresh child process (so peak RSS is the audit's own):
- local: `--prompts` prompts x `--perturbations` perturbations against the fake backend with
  `--latency` seconds per call, at `--concurrency` calls in flight shared by the whole set (the
  local executor, an empty response cache). Printed: calls made, wall time of the audit, the
  ideal ceil(calls / concurrency) x latency and wall / ideal;
- memory: the same audit at `--rss-sizes` prompts; peak RSS of each and the ratio to the smallest
  (goal: flat; the issue's bound is 1.2 x from 100 to 10,000 prompts);
- ray: the same audit on a local Ray instance of `--ray-workers` workers (Ray's start-up is
  included in the driver's wall time, shown apart).
The method's CPU work is kept light (no permutation p-values, no bootstrap intervals, no
interaction tests: `--bootstrap 0 --ci-resamples 0 --interactions 0`) so the figures measure the
audit's scheduling; `--full-method` measures with the defaults instead.

    python benchmarks/batch.py                       # 1,000 prompts x 16 at concurrency 64
    python benchmarks/batch.py --prompts 120 --concurrency 32 --rss-sizes 100,1000 --no-ray
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIGHT = {"bootstrap": 0, "ci_resamples": 0, "interactions": 0}
WORDS_PER_PROMPT = 10


def prompt_items(count: int):
    """`count` prompts of ten words each, drawn from 4,000 words the word vectors know, so two
    prompts rarely share a perturbed text (every call is a call)."""
    import random

    from gsmile_core.batch.reader import PromptItem
    from gsmile_core.method.embed import get_embedder

    vocabulary = [w for w in get_embedder("glove").vectors.index_to_key[200:6000] if w.isalpha()][:4000]
    rng = random.Random(0)
    return [PromptItem(str(i), " ".join(rng.sample(vocabulary, WORDS_PER_PROMPT)), i + 1) for i in range(count)]


def child(args: argparse.Namespace) -> None:
    """One audit in this process; prints its figures as one JSON line."""
    from gsmile_core.backends.fake import FakeBackend
    from gsmile_core.batch.results import AuditFolder
    from gsmile_core.batch.runner import run_audit
    from gsmile_core.calls.cache import ResponseCache
    from gsmile_core.calls.context import RunContext
    from gsmile_core.config import ExplainConfig

    config = ExplainConfig(perturbations=args.perturbations, concurrency=args.concurrency,
                           **({} if args.full_method else LIGHT))
    items = prompt_items(args.prompts)  # loads the word vectors before the clock starts
    with tempfile.TemporaryDirectory() as scratch:
        folder = AuditFolder(Path(scratch) / "audit")
        folder.start({"benchmark": True}, {}, "new")
        cache = ResponseCache(Path(scratch) / "cache")
        started = time.perf_counter()
        ray_start = 0.0
        if args.child == "ray":
            from gsmile_core.batch.executors.ray import BackendRecipe, RayExecutor

            recipe = BackendRecipe("fake", options={"latency": args.latency})
            executor = RayExecutor(recipe, config, RunContext(cache=cache), cache_dir=str(cache.directory),
                                   workers=args.ray_workers, local_cpus=args.ray_workers)
            ray_start = time.perf_counter() - started
        else:
            from gsmile_core.batch.executors.local import LocalExecutor

            executor = LocalExecutor(FakeBackend(latency=args.latency), config, RunContext(cache=cache))
        audit_started = time.perf_counter()
        outcome = asyncio.run(run_audit(items, folder, executor))
        audit_wall = time.perf_counter() - audit_started
        peak = getattr(executor, "peak_in_flight", None) or getattr(getattr(executor, "limits", None), "peak_in_flight", None)
        if hasattr(executor, "close"):
            executor.close()
        cache.close()
    print(json.dumps({
        "prompts": args.prompts, "done": outcome.progress.done, "failed": outcome.progress.failed,
        "calls": outcome.progress.calls, "wall_s": audit_wall, "ray_start_s": ray_start, "peak_in_flight": peak,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def measure(args: argparse.Namespace, kind: str, prompts: int, latency: float | None = None) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--prompts", str(prompts),
               "--perturbations", str(args.perturbations), "--concurrency", str(args.concurrency),
               "--latency", str(args.latency if latency is None else latency), "--ray-workers", str(args.ray_workers)]
    if args.full_method:
        command.append("--full-method")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timing_line(label: str, figures: dict, args: argparse.Namespace) -> str:
    ideal = math.ceil(figures["calls"] / args.concurrency) * args.latency
    extra = f" (+ {figures['ray_start_s']:.1f} s Ray start)" if figures.get("ray_start_s") else ""
    return (f"{label}: {figures['done']} prompts ok, {figures['failed']} failed · {figures['calls']} calls · "
            f"peak {figures['peak_in_flight']} in flight · wall {figures['wall_s']:.1f} s{extra} · ideal {ideal:.1f} s · "
            f"wall/ideal {figures['wall_s'] / ideal:.2f} · peak RSS {figures['peak_rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--perturbations", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rss-sizes", default="100,1000", help="prompt counts whose peak RSS is compared")
    parser.add_argument("--rss-latency", type=float, default=None,
                        help="seconds per call in the memory runs (default: --latency; 0 measures 10,000 prompts in minutes)")
    parser.add_argument("--ray-workers", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--full-method", action="store_true", help="the method's defaults (p-values, intervals, interactions)")
    parser.add_argument("--child", choices=("local", "ray"), default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    method = "full method" if args.full_method else "light method"
    print(f"audit benchmark: {args.prompts} prompts x {args.perturbations} perturbations, fake provider "
          f"{args.latency:g} s per call, concurrency {args.concurrency}, {method}")
    print(timing_line("local", measure(args, "local", args.prompts), args))
    sizes = [int(s) for s in args.rss_sizes.split(",") if s]
    if sizes:
        rss = {n: measure(args, "local", n, args.rss_latency)["peak_rss_mb"] for n in sizes}
        base = rss[sizes[0]]
        print("memory: " + " · ".join(f"{n} prompts {mb:.0f} MB ({mb / base:.2f}x)" for n, mb in rss.items()))
    if not args.no_ray:
        print(timing_line(f"ray ({args.ray_workers} workers)", measure(args, "ray", args.prompts), args))


if __name__ == "__main__":
    main()
