"""How much of a local explanation is the model, and how much is gSMILE?

Runs "What is the meaning of life?" (63 enumerated masks; pass --perturbations and a longer
prompt for sampled masks) on the bundled SmolLM2 model at default settings, twice in one process:
once with p-values (the default) and once with --bootstrap 0, and prints

- total, model, p-value and embedding seconds of the default run,
- total / model time of the default run (goal: <= 1.10), and
- total with p-values / total without (what the p-values really cost, since they run on worker
  threads while the model generates and so inflate the model's own wall time a little).

Ratios are measured in one run on the same machine; absolute seconds vary between machines.
"""

from __future__ import annotations

import argparse
import time

from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="What is the meaning of life?")
    parser.add_argument("--perturbations", type=int, default=64)
    args = parser.parse_args()

    started = time.perf_counter()
    backend = create_backend("local")
    load_s = time.perf_counter() - started
    # Warm-up call so neither measured run pays one-off costs (first decode, GloVe load).
    explain_sync("Hello there.", backend, ExplainConfig(perturbations=2, bootstrap=0))

    config = ExplainConfig(perturbations=args.perturbations)
    with_p = explain_sync(args.prompt, backend, config)
    without_p = explain_sync(args.prompt, backend, config.with_changes(bootstrap=0))

    t = with_p.timing
    print(f"prompt: {args.prompt!r} · {len(with_p.perturbations)} perturbations · model load {load_s:.2f} s")
    print(f"default run: total {t.total_s:.2f} s · model {t.model_s:.2f} s · "
          f"p-values after generation {t.pvalues_s:.3f} s · embedding after generation {t.embed_s:.3f} s")
    print(f"p-value draws: {with_p.extras.get('pvalue_draws_total')} (budget {config.bootstrap} per answer, "
          f"sequential stopping)")
    print(f"ratio total / model time (default run): {t.total_s / t.model_s:.3f}  (goal <= 1.10)")
    print(f"ratio total with p-values / total without: {t.total_s / without_p.timing.total_s:.3f}")
    print("top words:", ", ".join(f"{f.text} {s:+.3f}" for f, s in with_p.ranked()[:4]))


if __name__ == "__main__":
    main()
