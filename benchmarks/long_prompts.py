"""What does gSMILE itself cost on long prompts? Analysis time and memory, 300 to 10,000 words.

For each prompt length (a generated document of 12-word sentences, two of which carry the words a
rule-based black box answers to), one fresh process explains it with default settings (`--unit
auto`: words up to 100 words, else sentences) and 256 perturbations, and prints:
- analysis seconds: the explanation's total wall time minus the time spent waiting for the model,
  with an instant model (the fake backend, latency 0) — gSMILE's own cost (goals: 3,000 words
  <= 3 s and <= 500 MB peak; 10,000 words <= 15 s);
- the peak resident memory of that process;
- analysis / model time against the same black box answering after 1 s per call at concurrency 16
  (what the analysis adds to a real audit's wait);
- whether the two causal sentences rank first.
Ratios are measured in one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes.documents import document_of_words  # noqa: E402

SIZES = (300, 1_000, 3_000, 10_000)
def measure(words: int, latency: float, perturbations: int) -> dict:
    from gsmile_core import explain
    from gsmile_core.backends.fake import FakeBackend

    text, causal = document_of_words(words)
    started = time.perf_counter()
    explanation = explain(text, FakeBackend(latency=latency), cache=False, perturbations=perturbations,
                          concurrency=16, max_words=50_000)
    wall = time.perf_counter() - started
    model = explanation.timing.model_s
    top = sorted(f.index for f, _ in explanation.ranked()[:2])
    return {
        "words": words, "units": len(explanation.features), "level": explanation.features[0].level,
        "wall": wall, "model": model, "analysis": wall - model,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "causal_first": top == causal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--perturbations", type=int, default=256)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call of the slow model")
    parser.add_argument("--one", nargs=2, type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1], args.perturbations)))
        return

    def run(words: int, latency: float) -> dict:
        out = subprocess.run([sys.executable, __file__, "--one", str(words), str(latency),
                              "--perturbations", str(args.perturbations)], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    print(f"{'words':>7} {'units':>6} {'level':>9} {'analysis s':>11} {'peak MB':>8} "
          f"{'analysis/model @1s':>19} {'causal first':>13}")
    for words in args.sizes:
        instant = run(words, 0.0)
        slow = run(words, args.latency)
        ratio = slow["analysis"] / slow["model"] if slow["model"] else float("nan")
        print(f"{words:>7} {instant['units']:>6} {instant['level']:>9} {instant['analysis']:>11.2f} "
              f"{instant['peak_mb']:>8.0f} {ratio:>19.3f} {str(instant['causal_first']):>13}")


if __name__ == "__main__":
    main()
