"""A dry run: everything a run would send, what it would cost, and no call at all.

Why: before spending money on a paid API an auditor wants to see every perturbed prompt (with
the mask that made it), how many calls that is after de-duplication and the cache, and an
estimate of tokens and dollars. Nothing here builds a backend — no model is loaded, no key is
read, no connection is opened; the backend's identity (model, base URL) is worked out from its
registered class, so the cache can still say which answers are already stored.
"""

from __future__ import annotations

import inspect
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..backends.base import BACKENDS
from .cache import CallIdentity, ResponseCache
from .jobs import CallJob, job_key
from ..config import ExplainConfig, mask_options, unit_options
from ..method.perturb import plan_perturbations
from ..method.segment import prepare_prompt
from ..backends.providers import PROVIDERS, resolve_base_url
from ..backends.secrets import mask_url
from .pricing import CostEstimate, estimate_input_tokens, find_price
from .context import RunContext
from .sampling import plan_jobs
from ..types import GenerationParams


def static_identity(backend: str, options: dict[str, Any]) -> CallIdentity:
    """The identity a backend would have, read from its class without instantiating it.

    A backend class may declare `default_model` / `default_base_url`; otherwise the defaults of
    its constructor's `model` / `base_url` parameters are used.
    """
    factory = BACKENDS.get(backend)  # an unknown name raises ConfigError listing the known ones
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        parameters = {}

    def default(name: str) -> Any:
        declared = getattr(factory, f"default_{name}", None)
        if declared is not None:
            return declared
        parameter = parameters.get(name)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            return parameter.default
        return None

    module = sys.modules.get(getattr(factory, "__module__", ""), None)
    model = options.get("model") or default("model") or getattr(module, "DEFAULT_MODEL", None) or ""
    provider_name = getattr(factory, "provider_name", None)
    if provider_name in PROVIDERS:
        # exactly how API backends resolve it: option -> provider environment variable -> default
        # masked as the backend masks it (a token in the query string), so the cache keys agree
        base_url = mask_url(resolve_base_url(provider_name, options.get("base_url")) or PROVIDERS[provider_name].default_base_url)
    else:
        base_url = options.get("base_url") or default("base_url")
    api = options.get("api") or default("api")
    api_for_model = next(
        (
            getattr(sys.modules.get(klass.__module__), "api_for_model", None)
            for klass in getattr(factory, "__mro__", ())
            if getattr(sys.modules.get(klass.__module__), "api_for_model", None) is not None
        ),
        None,
    )
    if api is None and api_for_model is not None and hasattr(factory, "api"):
        api = api_for_model(str(model))
    return CallIdentity(
        provider=str(getattr(factory, "name", backend)),
        model=str(model),
        base_url=None if base_url is None else str(base_url),
        api=None if api is None else str(api),
    )


def stored_jobs(
    jobs: Sequence[CallJob],
    identity: CallIdentity,
    params: GenerationParams,
    cache: ResponseCache | None,
    refresh: bool = False,
) -> set[CallJob]:
    """The jobs whose answers the response cache already holds (none without a cache, or when
    refreshing)."""
    if cache is None or refresh:
        return set()
    return {job for job in jobs if cache.get(job_key(identity, params, job)) is not None}


@dataclass(frozen=True)
class PlannedPrompt:
    mask: tuple[int, ...]
    prompt: str
    duplicate: bool  # the same text as an earlier mask (asked once)
    cached_samples: int  # of this prompt's samples, how many the cache already holds


@dataclass(frozen=True)
class DryRunPlan:
    identity: CallIdentity
    prompts: tuple[PlannedPrompt, ...]
    unique_prompts: int
    calls_total: int  # calls without any cache
    calls_cached: int
    estimate: CostEstimate  # for the calls still needed
    samples_per_prompt: int
    max_tokens: int

    @property
    def calls_needed(self) -> int:
        return self.calls_total - self.calls_cached


def plan_dry_run(
    prompt: str,
    config: ExplainConfig,
    identity: CallIdentity,
    run: RunContext = RunContext(),
) -> DryRunPlan:
    """What a run of `prompt` with `config` on the model `identity` would send, which answers
    `run`'s response cache already holds, and the cost of the rest."""
    clean, features = prepare_prompt(prompt, **unit_options(config))
    masks, texts, _ = plan_perturbations(clean, features, **mask_options(config))
    jobs = plan_jobs(texts, config.samples_per_prompt)
    cached_jobs = stored_jobs(jobs, identity, config.generation_params(), run.cache, run.refresh)
    cached_per_prompt = Counter(job.prompt for job in cached_jobs)  # one pass, not one per mask
    seen: set[str] = set()
    planned = []
    for mask, text in zip(masks, texts):
        planned.append(
            PlannedPrompt(mask=mask, prompt=text, duplicate=text in seen, cached_samples=cached_per_prompt[text])
        )
        seen.add(text)
    needed = [job for job in jobs if job not in cached_jobs]
    estimate = CostEstimate(
        calls=len(needed),
        input_tokens=sum(estimate_input_tokens(j.prompt, config.system_prompt) for j in needed),
        output_tokens=len(needed) * config.max_tokens,
        price=find_price(identity.provider, identity.model),
    )
    return DryRunPlan(
        identity=identity,
        prompts=tuple(planned),
        unique_prompts=len(seen),
        calls_total=len(jobs),
        calls_cached=len(cached_jobs),
        estimate=estimate,
        samples_per_prompt=config.samples_per_prompt,
        max_tokens=config.max_tokens,
    )
