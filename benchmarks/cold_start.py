"""How fast does the `gsmile` command start? Wall times of whole processes, side by side in one run.

Printed, each the median of `--repeats` runs on this machine, next to `python -c pass` (the floor no
Python command beats):
- `gsmile --help` (goal: under 0.3 s): only the command table loads, no sub-command;
- `gsmile explain PROMPT --backend fake`, the first run on an empty cache (computes everything);
- the same command again, fully cached (goal: under 0.8 s): its explanation is read from the
  store beside the response cache and drawn, with no model call and no numpy/POT/scikit-learn maths;
- the same re-run with `--refresh` for comparison (answers from nowhere: recomputed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT = "What is the meaning of life?"


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    gsmile = [python, "-m", "gsmile_core"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "GSMILE_CACHE_DIR": cache}
        explain = [*gsmile, "explain", PROMPT, "--backend", "fake"]
        rows = [("python -c pass", [python, "-c", "pass"]), ("gsmile --help", [*gsmile, "--help"])]
        first = wall(explain, env)
        rows += [("gsmile explain, fully cached", explain), ("gsmile explain --refresh", [*explain, "--refresh"])]
        results = [(label, statistics.median(wall(cmd, env) for _ in range(args.repeats))) for label, cmd in rows]
    floor = results[0][1]
    print(f"{'command':<32} {'median s':>9} {'x python -c pass':>17}")
    for label, seconds in results[:2]:
        print(f"{label:<32} {seconds:>9.3f} {seconds / floor:>17.1f}")
    print(f"{'gsmile explain, empty cache':<32} {first:>9.3f} {first / floor:>17.1f}   (one run)")
    for label, seconds in results[2:]:
        print(f"{label:<32} {seconds:>9.3f} {seconds / floor:>17.1f}")
    help_s, cached_s = results[1][1], results[2][1]
    print(f"\ngoals: --help {help_s:.3f} s (< 0.3: {'met' if help_s < 0.3 else 'NOT met'}), "
          f"cached re-run {cached_s:.3f} s (< 0.8: {'met' if cached_s < 0.8 else 'NOT met'})")


if __name__ == "__main__":
    main()
