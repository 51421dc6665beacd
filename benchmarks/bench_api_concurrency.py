"""How close does bounded concurrency get to the ideal wall time against a slow API?

One process: the fake provider (tests/fakes/provider_server.py) on 127.0.0.1 answers every call
after `--latency` seconds (1.0 by default); gSMILE explains one prompt with 64 perturbations
through the real openai SDK (`openai-compatible` backend) at concurrency 1, 16 and 32, each with
an empty response cache, then repeats the last run unchanged on its now-full cache.

Printed per concurrency: unique prompts, calls counted at the server, wall time of the whole
explanation, the ideal (ceil(unique / concurrency) + 1) x latency and wall / ideal (goal:
<= 1.25), and the speed-up over concurrency 1. Then the identical re-run: calls at the server
(goal: 0) and its wall time (goal: < 1 s). Ratios are measured in one run on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import FakeProviderServer  # noqa: E402

from gsmile_core.backends import create_backend  # noqa: E402
from gsmile_core.calls.cache import ResponseCache  # noqa: E402
from gsmile_core.config import ExplainConfig  # noqa: E402
from gsmile_core.method.embed import get_embedder  # noqa: E402
from gsmile_core.pipeline import explain  # noqa: E402
from gsmile_core.calls.context import RunContext  # noqa: E402

PROMPT = "Could you please tell me what the doctor said about the ocean and the weather today?"


async def timed_run(server, config, cache_dir: Path) -> tuple[float, int, int, object]:
    backend = create_backend("openai-compatible", model="bench-model", base_url=server.openai_base_url)
    server.reset_counters()
    cache = ResponseCache(cache_dir)
    started = time.perf_counter()
    try:
        explanation = await explain(PROMPT, backend, config, run=RunContext(cache=cache))
    finally:
        wall = time.perf_counter() - started
        cache.close()
        await backend.aclose()
    return wall, server.total_requests, server.peak_concurrency, explanation


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--perturbations", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 32])
    args = parser.parse_args()

    get_embedder()  # the word vectors load once per process; keep that out of every timed run
    rows = []
    with FakeProviderServer(latency=args.latency) as server, tempfile.TemporaryDirectory() as scratch:
        for concurrency in args.concurrency:
            config = ExplainConfig(perturbations=args.perturbations, concurrency=concurrency)
            cache_dir = Path(scratch) / f"cache-{concurrency}"
            wall, calls, peak, explanation = await timed_run(server, config, cache_dir)
            rows.append((concurrency, explanation.unique_prompts, calls, peak, wall))
        rerun_wall, rerun_calls, _, rerun = await timed_run(server, config, cache_dir)

    base_wall = rows[0][4]
    print(f"fake provider latency {args.latency:.2f} s per call · {args.perturbations} perturbations · {PROMPT!r}")
    print(f"{'concurrency':>11} {'unique':>6} {'calls':>5} {'peak':>4} {'wall s':>7} {'ideal s':>7} "
          f"{'wall/ideal':>10} {'speed-up vs 1':>13}")
    for concurrency, unique, calls, peak, wall in rows:
        ideal = (math.ceil(unique / concurrency) + 1) * args.latency
        print(f"{concurrency:>11} {unique:>6} {calls:>5} {peak:>4} {wall:>7.2f} {ideal:>7.2f} "
              f"{wall / ideal:>10.3f} {base_wall / wall:>13.2f}")
    print(f"identical re-run (concurrency {args.concurrency[-1]}, full cache): {rerun_calls} calls at the server, "
          f"{rerun.cache_hits} cache hits, {rerun_wall:.3f} s wall")


if __name__ == "__main__":
    asyncio.run(main())
