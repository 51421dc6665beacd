"""Long answers: gSMILE's analysis time and peak memory on ~700-word answers, old code vs new.

    .venv/bin/python benchmarks/bench_long_answers.py [--perturbations 64 256] [--words 700]
        [--old REV] [--old-timeout 900] [--agreement] [--short]

A black box that answers every prompt with about `--words` words of English-like text
(tests/fakes/long_answers.py: GloVe words with Zipf frequencies, ~400 distinct in 700, topics that
follow the prompt's words) is explained with default settings at each perturbation count, each in
a fresh process. Its answers are made before the clock starts, so the model time is ~0 and:
- analysis s: the explanation's wall time (embedding, distances, p-values, fit); CPU s: the CPU
  time it used (all threads; on a shared machine the wall time also counts others' load);
- peak MB: the peak resident memory of that process (GloVe and the answers included; the
  process's resident memory before explaining is printed beside it).
With `--old REV` the same runs are made with the gsmile_core of git revision REV (exported with
`git archive` into a temporary directory) and the old/new ratios printed; an old run still going
after `--old-timeout` seconds is stopped and its ratio printed as a lower bound (">").
`--agreement`: on the answers of the smallest perturbation count, every p-value decision (p < α,
the pipeline's sequential test, same seeds) of the test on the pooled cloud quantised to
stats.TEST_POINTS points against the test on the unquantised cloud (what every answer got before),
and every answer distance against POT's `ot.emd2` on the token clouds.
`--short`: the fake backend's short answers, old code vs new (needs --old): the largest output
distance difference (~1e-8: the old ground cost, ot.dist's |x|² + |y|² − 2x·y, put a word ~1e-8
from itself) and how many p-values and draws are identical (all: same splits, exact counts).
Ratios are what carries across machines; the seconds are this machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_TOKENS = 4096  # room for the answers: the default (48) would cut them to 48 words
PROMPT = "What is the meaning of life and why do doctors swim in the ocean at dawn with their dogs"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(words: int, perturbations: int) -> dict:
    """One explanation in this process (the child of `run`); the answers are made first."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.long_answers import glove_long_answers

    from gsmile_core import explain
    from gsmile_core.config import ExplainConfig
    from gsmile_core.pipeline import plan_perturbations, prepare_prompt

    black_box = glove_long_answers(words)
    config = ExplainConfig(perturbations=perturbations)
    clean, features = prepare_prompt(PROMPT, config)
    texts = plan_perturbations(clean, features, config)[1]
    answers = {text: black_box(text) for text in dict.fromkeys(texts)}
    before = _rss_mb()
    cpu = _cpu_s()
    started = time.perf_counter()
    explanation = explain(PROMPT, lambda prompt: answers[prompt], cache=False, perturbations=perturbations,
                          max_tokens=MAX_TOKENS)
    wall = time.perf_counter() - started
    cpu = _cpu_s() - cpu
    return {
        "analysis": wall - explanation.timing.model_s, "cpu": cpu, "peak_mb": _rss_mb(), "before_mb": before,
        "pvalues_s": explanation.timing.pvalues_s, "distances_s": explanation.timing.distances_s,
        "draws": explanation.extras.get("pvalue_draws_total"),
        "output_distances": [p.output_distance for p in explanation.perturbations],
        "p_values": [p.p_value for p in explanation.perturbations],
    }


def measure_short(perturbations: int) -> dict:
    from gsmile_core import explain
    from gsmile_core.backends.fake import FakeBackend

    explanation = explain("What is the meaning of life in the ocean, doctor?", FakeBackend(), cache=False,
                          perturbations=perturbations, seed=3)
    return {"output_distances": [p.output_distance for p in explanation.perturbations],
            "p_values": [p.p_value for p in explanation.perturbations],
            "draws": [p.p_value_draws for p in explanation.perturbations]}


def run(code: Path, task: list[str], timeout: float | None = None) -> dict | None:
    """`task` in a fresh process whose `gsmile_core` is the one under `code`; None on timeout."""
    program = (f"import sys, json; sys.path.insert(0, {str(code)!r}); sys.path.insert(1, {str(ROOT / 'benchmarks')!r}); "
               f"import bench_long_answers as b; print(json.dumps(b.{task[0]}(*{task[1:]!r})))")
    try:
        out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                             timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def export(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "gsmile_core"], capture_output=True, check=True)
    path = into / "archive.tar"
    path.write_bytes(archive.stdout)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into


def agreement(words: int, perturbations: int) -> None:
    """Decisions of the quantised test against the unquantised one; distances against ot.emd2."""
    import numpy as np
    import ot
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.long_answers import glove_long_answers

    from gsmile_core.config import ExplainConfig
    from gsmile_core.method.distances import DISTANCES
    from gsmile_core.method.embed import get_embedder
    from gsmile_core.method.stats import TEST_POINTS, permutation_test
    from gsmile_core.pipeline import _stable_seed, plan_perturbations, prepare_prompt

    threadpool_limits(1)
    config = ExplainConfig(perturbations=perturbations)
    clean, features = prepare_prompt(PROMPT, config)
    texts = plan_perturbations(clean, features, config)[1]
    black_box, embedder = glove_long_answers(words), get_embedder(config.embedder)
    answers = [black_box(t) for t in texts]
    clouds = [embedder.embed(a) for a in answers]
    wmd = DISTANCES.get("wmd")
    worst = 0.0
    for other in clouds:
        x, y = clouds[0].vectors, other.vectors
        reference = ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)), ot.dist(x, y, metric="euclidean"))
        worst = max(worst, abs(wmd(clouds[0], other, 1.0) - reference) / max(reference, 1e-12))
    print(f"answer distances vs ot.emd2 on the token clouds: largest relative difference {worst:.1e} "
          f"({len(answers)} answers of ~{words} words)")
    rows = []
    for answer, other in zip(answers[1:], clouds[1:]):
        seed = _stable_seed(config.seed, answer)
        times, results = [], []
        for points in (TEST_POINTS, 10**9):
            started = time.perf_counter()
            results.append(permutation_test(clouds[0].vectors, other.vectors, draws=config.bootstrap, p=config.p,
                                            seed=seed, alpha=config.alpha, max_points=points))
            times.append(time.perf_counter() - started)
        rows.append((results, times))
    alpha = config.alpha
    agree = sum((q.p_value < alpha) == (e.p_value < alpha) for (q, e), _ in rows)
    print(f"p-value decisions (p < {alpha}), pooled cloud of {TEST_POINTS} points vs unquantised: "
          f"{agree}/{len(rows)} agree; time {sum(t[0] for _, t in rows):.1f} s vs {sum(t[1] for _, t in rows):.1f} s, "
          f"draws {sum(q.draws for (q, _), _ in rows)} vs {sum(e.draws for (_, e), _ in rows)}")
    for (q, e), _ in rows:
        if (q.p_value < alpha) != (e.p_value < alpha) or min(q.p_value, e.p_value) < alpha < max(q.p_value, e.p_value) * 1.5:
            print(f"  quantised p={q.p_value:.4f} ({q.draws} draws, s.e. {q.mc_error:.4f})  "
                  f"unquantised p={e.p_value:.4f} ({e.draws} draws, s.e. {e.mc_error:.4f})  "
                  f"{'agree' if (q.p_value < alpha) == (e.p_value < alpha) else 'DISAGREE'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--perturbations", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--words", type=int, default=700)
    parser.add_argument("--old", metavar="REV", help="also run the gsmile_core of this git revision")
    parser.add_argument("--old-timeout", type=float, default=900.0)
    parser.add_argument("--agreement", action="store_true")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        old = export(args.old, Path(scratch)) if args.old else None
        print(f"{'perturbations':>13} {'analysis s':>11} {'CPU s':>6} {'p-values s':>11} {'peak MB':>8} {'(before)':>9}"
              + (f" {'old analysis s':>15} {'old peak MB':>12} {'time old/new':>13} {'memory old/new':>15}" if old else ""))
        for n in args.perturbations:
            new = run(ROOT, ["measure", args.words, n])
            line = (f"{n:>13} {new['analysis']:>11.2f} {new['cpu']:>6.1f} {new['pvalues_s']:>11.2f} {new['peak_mb']:>8.0f} "
                    f"{new['before_mb']:>9.0f}")
            if old:
                before = run(old, ["measure", args.words, n], timeout=args.old_timeout)
                if before is None:
                    line += (f" {'>' + format(args.old_timeout, '.0f'):>15} {'?':>12} "
                             f"{'>' + format(args.old_timeout / new['analysis'], '.1f'):>13} {'?':>15}")
                else:
                    line += (f" {before['analysis']:>15.2f} {before['peak_mb']:>12.0f} "
                             f"{before['analysis'] / new['analysis']:>13.1f} {before['peak_mb'] / new['peak_mb']:>15.1f}")
            print(line, flush=True)
        if args.short and old:
            new, before = run(ROOT, ["measure_short", 64]), run(old, ["measure_short", 64])
            gap = max(abs(a - b) for a, b in zip(new["output_distances"], before["output_distances"]))
            same = sum(a == b for a, b in zip(new["p_values"], before["p_values"]))
            print(f"short answers (fake backend, 64 perturbations), new vs old: largest output-distance difference "
                  f"{gap:.1e}; p-values identical {same}/{len(new['p_values'])}; draws identical "
                  f"{sum(a == b for a, b in zip(new['draws'], before['draws']))}/{len(new['draws'])}")
    if args.agreement:
        agreement(args.words, min(args.perturbations))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
