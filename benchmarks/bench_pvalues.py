"""Fast permutation p-values vs a 10^5-draw reference, on the answers of a saved explanation.

    .venv/bin/python benchmarks/bench_pvalues.py EXPLANATION.json [--reference-draws 100000]

Takes the answers of a saved `gsmile explain --json` run (real SmolLM2 answers, say), so no
model runs here. For every perturbation it computes the p-value as the pipeline does (sequential
stopping, budget `--bootstrap` of the run, `--workers` threads, timed end to end) and a
reference p-value with a fixed `--reference-draws` splits, no early stop, independent seed.
Prints: wall time of the fast p-values, draws and exact solves, decision agreement (p < α) with
the reference, the Monte-Carlo standard errors, and the perturbations where they disagree.
Ratios only are meaningful across machines; the seconds are those of this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gsmile_core.method.embed import get_embedder  # noqa: E402
from gsmile_core.pipeline import _stable_seed  # noqa: E402
from gsmile_core.method.stats import permutation_test  # noqa: E402


def _reference(job):
    x, y, draws, p, seed = job
    return permutation_test(x, y, draws=draws, p=p, seed=np.random.SeedSequence(seed), alpha=None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("explanation", type=Path)
    parser.add_argument("--reference-draws", type=int, default=100_000)
    parser.add_argument("--budget", type=int, default=None, help="fast test's draw budget (default: the run's --bootstrap)")
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference-cache", type=Path, default=None, help="JSON file to store/reuse reference p-values")
    args = parser.parse_args()

    data = json.loads(args.explanation.read_text())
    config = data["config"]
    alpha = args.alpha if args.alpha is not None else config.get("alpha", 0.05)
    budget = args.budget if args.budget is not None else config.get("bootstrap", 1000)
    embedder = get_embedder(config.get("embedder", "glove"))
    original = data["original_output"]
    outputs = [p["output"] for p in data["perturbations"]]
    vectors = {t: embedder.embed(t).vectors for t in dict.fromkeys([original, *outputs])}
    x = vectors[original]
    distinct = [t for t in dict.fromkeys(outputs) if len(vectors[t]) and len(x)]
    p_order = float(config.get("p", 1.0))

    def fast(text):
        return permutation_test(x, vectors[text], draws=budget, p=p_order, seed=_stable_seed(config.get("seed", 0), text), alpha=alpha)

    fast(distinct[0])  # warm-up (imports, allocator)
    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        fast_results = dict(zip(distinct, pool.map(fast, distinct)))
    fast_seconds = time.perf_counter() - started
    fast_cpu = time.process_time() - cpu_started
    slowest = max(fast_results.values(), key=lambda r: r.draws)

    cached = {}
    if args.reference_cache and args.reference_cache.exists():
        cached = json.loads(args.reference_cache.read_text())
    key = lambda t: f"{args.reference_draws}:{hash_text(t)}"  # noqa: E731
    todo = [t for t in distinct if key(t) not in cached]
    started = time.perf_counter()
    jobs = [(x, vectors[t], args.reference_draws, p_order, 10_000 + i) for i, t in enumerate(todo)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for text, result in zip(todo, pool.map(_reference, jobs)):
            cached[key(text)] = {"p": result.p_value, "draws": result.draws, "exceedances": result.exceedances}
    reference_seconds = time.perf_counter() - started
    if args.reference_cache:
        args.reference_cache.write_text(json.dumps(cached, indent=1))

    by_text = {t: cached[key(t)] for t in distinct}
    rows = []
    for j, text in enumerate(outputs):
        if text not in fast_results:
            continue
        f, r = fast_results[text], by_text[text]
        ref_p = r["p"]
        ref_se = float(np.sqrt(max(ref_p * (1 - ref_p), 0) / r["draws"]))
        rows.append((j, f.p_value, f.draws, f.mc_error, ref_p, ref_se, (f.p_value < alpha) == (ref_p < alpha)))
    agree = sum(r[6] for r in rows)
    print(f"answers: {len(outputs)} perturbations, {len(distinct)} distinct testable answers; alpha {alpha}")
    print(
        f"fast p-values: {fast_seconds:.2f} s wall on {args.workers} threads ({fast_cpu:.2f} s CPU) for all {len(distinct)} distinct answers "
        f"(budget {budget}); draws total {sum(r.draws for r in fast_results.values())}, "
        f"exact OT solves {sum(r.exact_solves for r in fast_results.values())}, "
        f"stopped early {sum(r.stopped_early for r in fast_results.values())}/{len(distinct)}"
    )
    print(f"most draws for one answer: {slowest.draws} (p = {slowest.p_value:.4f})")
    print(f"reference: {args.reference_draws} draws each, {reference_seconds:.1f} s for {len(todo)} new ({len(distinct) - len(todo)} cached)")
    print(
        f"decision agreement (p < {alpha}): {agree}/{len(rows)} perturbations = {agree / max(len(rows), 1):.2%}; "
        f"max MC s.e. fast {max((r[3] for r in rows), default=0):.4f}, reference {max((r[5] for r in rows), default=0):.5f}"
    )
    near = [r for r in rows if abs(r[4] - alpha) < 3 * max(r[5], 1e-12) + 0.01]
    print(f"perturbations with reference p within 0.01 (+3 s.e.) of alpha: {len(near)}")
    for r in rows:
        if not r[6] or r in near:
            print(f"  #{r[0]:>3}: fast p={r[1]:.4f} ({r[2]} draws, s.e. {r[3]:.4f})  reference p={r[4]:.5f} (s.e. {r[5]:.5f})  {'agree' if r[6] else 'DISAGREE'}")
    print(f"ratio fast/reference time: {fast_seconds / max(reference_seconds, 1e-9):.4f}" if todo else "")
    return 0


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


if __name__ == "__main__":
    raise SystemExit(main())
