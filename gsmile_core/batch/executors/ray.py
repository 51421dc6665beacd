"""An audit's prompts on a Ray cluster (PyPI `ray`, the optional extra `gsmile[ray]`; imported
only when `--executor ray` is chosen).

- `PromptWorker` actors (one per CPU of the cluster by default) each build their own backend
  once — with the bundled local model each loads its own copy; API keys are read on the worker
  from its environment or keyring, so no key leaves the driver — and explain prompts with
  exactly the code of the local executor (`batch.item.explain_item`), so the lines are the same.
- One `CallDesk` actor, placed on the driver's node, holds what the whole set shares: the
  concurrency limit, the rate limit and the budget (a `SharedLimits`: every worker asks it
  before each call and tells it after), and the response cache (the driver's sqlite file): a
  worker fetches a prompt's stored answers in one round trip before asking the model, and hands
  every new answer to the desk the moment it arrives, so a resumed audit finds them wherever its
  prompts run next. A permit not returned within the call's timeout (its worker died) is taken
  back, so a lost worker cannot shrink the set's concurrency.
- The driver keeps a bounded number of prompts in flight and appends each record as it returns
  (the runner owns `results.jsonl`, as with the local executor).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ...calls.budget import BudgetExceeded
from ...calls.context import RunContext
from ...calls.shared_limits import Permit
from ...config import ExplainConfig
from ...errors import ConfigError
from ...types import Generation
from ..reader import PromptItem
from .local import prompts_in_flight

CONNECT_TIMEOUT_S = 5.0
LEASE_GRACE_S = 30.0


@dataclass(frozen=True)
class BackendRecipe:
    """How a worker builds its backend: the name, model, base URL and endpoint (no key), and
    plain extra options (e.g. the fake backend's `latency`)."""

    name: str
    model: str | None = None
    base_url: str | None = None
    api: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def build(self, config: ExplainConfig):
        from ...backends import create_backend
        from ...backends.api_common import api_backend_options
        from ...calls.backend_options import options_for_run

        options = options_for_run(self.name, config, model=self.model)
        options.update(api_backend_options(self.name, base_url=self.base_url, api=self.api))
        options.update(self.options)
        return create_backend(self.name, **options)


def recipe_from_args(args) -> BackendRecipe:
    return BackendRecipe(args.backend, args.model, getattr(args, "base_url", None), getattr(args, "api", None))


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'gsmile[ray]'") from None
    return ray


def check_ray(address: str | None) -> None:
    """Before anything is called: Ray is installed, and the cluster's address answers."""
    import_ray()
    if not address or address == "auto":
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise ConfigError(f"--ray-address {address!r} is not host:port or ray://host:port")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {error.strerror or error} "
                          "(is it running? is the address the head node's?)") from None


# -- the actors (defined when Ray is imported) --------------------------------------------------


class CallDeskImpl:
    """The set's shared limits and the response cache, in one actor on the driver's node."""

    def __init__(self, config: ExplainConfig, backend_name: str, model: str, cache_dir: str | None, lease_s: float | None) -> None:
        from ...calls.cache import ResponseCache
        from .local import shared_limits_for

        self.limits = shared_limits_for(backend_name, model, config)
        self.cache = None if cache_dir is None else ResponseCache(cache_dir)
        self.lease_s = lease_s
        self.outstanding: dict[int, tuple[float, Permit, str]] = {}
        self.reclaimed = 0

    def _reclaim(self) -> None:
        if self.lease_s is None:
            return
        now = time.monotonic()
        for number, (started, permit, prompt) in list(self.outstanding.items()):
            if now - started > self.lease_s:
                del self.outstanding[number]
                self.reclaimed += 1
                self.limits.release(permit, prompt, None)

    async def acquire(self, prompt: str, order: int = 0) -> Permit | str:
        self._reclaim()
        try:
            permit = await self.limits.acquire(prompt, order)
        except BudgetExceeded as stop:
            return str(stop)
        self.outstanding[permit.number] = (time.monotonic(), permit, prompt)
        return permit

    def release(self, permit: Permit, prompt: str, generation: Generation | None) -> None:
        if self.outstanding.pop(permit.number, None) is not None:
            self.limits.release(permit, prompt, generation)

    def cached(self, keys: list[str]) -> dict[str, Generation]:
        if self.cache is None:
            return {}
        found = {}
        for key in keys:
            generation = self.cache.get(key)
            if generation is not None:
                found[key] = generation
        return found

    def store(self, key: str, identity, generation: Generation) -> None:
        if self.cache is not None:
            self.cache.put(key, identity, generation)

    def stats(self) -> dict[str, Any]:
        priced = self.limits.spending.priced
        return {"calls": self.limits.calls, "spent_usd": self.limits.spent_usd if priced else None,
                "peak_in_flight": self.limits.peak_in_flight, "reclaimed": self.reclaimed}


class DeskPermits:
    """The worker's side of the desk's limits (`calls.shared_limits.CallPermits`)."""

    def __init__(self, desk, order: int) -> None:
        self.desk, self.order = desk, order

    async def acquire(self, prompt: str) -> Permit:
        granted = await self.desk.acquire.remote(prompt, self.order)
        if isinstance(granted, str):
            raise BudgetExceeded(granted)
        return granted

    def release(self, permit: Permit, prompt: str, generation: Generation | None) -> None:
        self.desk.release.remote(permit, prompt, generation)  # never waits: runs in `finally`


class PrefetchedCache:
    """A prompt's stored answers fetched from the desk in one round trip; new answers go to the
    desk's cache as they arrive. Has what the engine uses of a `ResponseCache`."""

    def __init__(self, found: dict[str, Generation], desk) -> None:
        self.found = found
        self.desk = desk

    def get(self, key: str) -> Generation | None:
        return self.found.get(key)

    def put(self, key: str, identity, generation: Generation) -> None:
        self.desk.store.remote(key, identity, generation)


class PromptWorkerImpl:
    """Explains the prompts sent to it with one backend, built on first use."""

    def __init__(self, recipe: BackendRecipe, config: ExplainConfig, desk, refresh: bool, caching: bool) -> None:
        self.recipe, self.config, self.desk = recipe, config, desk
        self.refresh, self.caching = refresh, caching
        self.backend = None

    async def explain(self, item: PromptItem, order: int = 0) -> dict[str, Any]:
        from ...calls.jobs import identity_of, job_key
        from ..item import config_for, explain_item, planned_jobs, stops_the_audit

        if self.backend is None:
            self.backend = self.recipe.build(self.config)
        config = config_for(item, self.config)
        cache = None
        if self.caching:
            found: dict[str, Generation] = {}
            if not self.refresh:
                identity, params = identity_of(self.backend), config.generation_params()
                keys = [job_key(identity, params, job) for job in planned_jobs(item, config)]
                found = await self.desk.cached.remote(keys)
            cache = PrefetchedCache(found, self.desk)
        run = RunContext(cache=cache, refresh=self.refresh, limits=DeskPermits(self.desk, order))
        try:
            return await explain_item(item, self.backend, self.config, run)
        except Exception as error:
            if stops_the_audit(error):
                return {"stop": str(error)}
            raise


_ACTORS: dict[str, Any] = {}


def _actors(ray):
    if not _ACTORS:
        _ACTORS["desk"] = ray.remote(num_cpus=0)(CallDeskImpl)
        _ACTORS["worker"] = ray.remote(num_cpus=1)(PromptWorkerImpl)
    return _ACTORS["desk"], _ACTORS["worker"]


class RayExecutor:
    """Runs an audit's prompts on Ray workers; the limits and the cache in one desk actor."""

    def __init__(
        self,
        recipe: BackendRecipe,
        config: ExplainConfig,
        run: RunContext = RunContext(),
        *,
        address: str | None = None,
        cache_dir: str | None = None,
        parallel_prompts: int | None = None,
        workers: int | None = None,
        local_cpus: int | None = None,
    ) -> None:
        ray = import_ray()
        self.ray = ray
        self.recipe, self.config, self.refresh = recipe, config, run.refresh
        self.caching = cache_dir is not None
        self.started_ray = not ray.is_initialized()
        if self.started_ray:
            options: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}
            if address:
                options["address"] = address
            elif local_cpus is not None:
                options["num_cpus"] = local_cpus
            ray.init(**options)
        from ...calls.dryrun import static_identity

        identity = static_identity(recipe.name, {k: v for k, v in
                                                 {"model": recipe.model, "base_url": recipe.base_url, "api": recipe.api}.items() if v})
        desk_class, worker_class = _actors(ray)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
        lease = None if config.call_timeout is None else config.call_timeout + LEASE_GRACE_S
        self.desk = desk_class.options(scheduling_strategy=here).remote(config, identity.provider, identity.model, cache_dir, lease)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, workers or cpus)
        self.workers = [worker_class.remote(recipe, config, self.desk, run.refresh, self.caching)
                        for _ in range(count)]
        self.parallel_prompts = parallel_prompts or max(prompts_in_flight(config), count)
        self.calls = 0
        self.cache_hits = 0
        self._spent: float | None = None
        self.peak_in_flight = 0

    @property
    def spent_usd(self) -> float | None:
        return self._spent

    async def _refresh_stats(self) -> None:
        stats = await self.desk.stats.remote()
        self.calls, self._spent, self.peak_in_flight = stats["calls"], stats["spent_usd"], stats["peak_in_flight"]

    async def run(self, items: Sequence[PromptItem], deliver: Callable[[dict[str, Any]], None]) -> None:
        from ray.exceptions import RayActorError, RayTaskError

        from ..item import error_record

        queue = enumerate(items)
        stop: list[str] = []

        async def lane(index: int) -> None:
            worker = self.workers[index % len(self.workers)]
            for order, item in queue:
                if stop:
                    return
                started = time.perf_counter()
                try:
                    record = await worker.explain.remote(item, order)
                except (RayActorError, RayTaskError) as error:
                    record = error_record(item, f"ray worker: {type(error).__name__}: {error}", time.perf_counter() - started)
                if "stop" in record:
                    stop.append(record["stop"])
                    return
                self.cache_hits += int(record.get("cache_hits") or 0)
                await self._refresh_stats()
                deliver(record)

        lanes = [asyncio.ensure_future(lane(i)) for i in range(self.parallel_prompts)]
        try:
            finished, _ = await asyncio.wait(lanes, return_when=asyncio.FIRST_EXCEPTION)
            for task in finished:
                task.result()
        finally:
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            await self._refresh_stats()
        if stop:
            raise BudgetExceeded(stop[0])

    def close(self) -> None:
        for actor in [*self.workers, self.desk]:
            try:
                self.ray.kill(actor)
            except Exception:
                pass
        if self.started_ray:
            self.ray.shutdown()
