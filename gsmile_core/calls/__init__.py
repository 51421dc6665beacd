"""The call machinery: how a run obtains its answers from a model, whatever the backend.

One module per job, so each reads on its own:
- `engine`: the workers that ask the backend (concurrency, one retry loop, cache, audit);
- `jobs`: what is asked (a prompt and a sample), request seeds, cache keys, a backend's identity;
- `retry`: how long to wait before the next attempt, and when to give up;
- `ratelimit`: requests-per-minute pacing;
- `budget`: `--max-calls` / `--max-cost`, checked before a run and before each call;
- `limits`: what is accepted from a provider or the cache (answer length, escapes);
- `sampling`: k answers per prompt pooled into one (paper eq. 2);
- `memo`: answers shared within one process; `cache`: across runs, on disk; `cache_gate`: the
  engine's patience with a cache another program has locked;
- `audit`: every request and response as JSON lines; `pricing`: prices and token estimates;
- `dryrun`: what a run would send and cost, without a call;
- `backend_options`: how a backend is built from the run's settings, or to ask the model that
  made an explanation again.

Nothing is re-exported here: import from the module that does the job.
"""
