"""What a run asks for: jobs, each sample's request seed, cache keys and a backend's identity.

A job is a prompt and which of its samples (0 unless k > 1 answers per prompt are drawn). Its
cache key covers everything that can change the answer; the identity a backend gives the key
comes from its key-free `describe()`. Pure functions, no I/O: the dry run counts cached answers
with exactly the keys the engine stores them under.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ..backends.base import Backend
from .cache import CallIdentity, cache_key
from ..types import GenerationParams


@dataclass(frozen=True)
class CallJob:
    """One answer to obtain: a prompt and which of its samples (0 unless sampling k > 1)."""

    prompt: str
    sample: int = 0


def identity_of(backend: Backend) -> CallIdentity:
    """The cache/audit identity of a backend, from its key-free `describe()`."""
    try:
        described = backend.describe() or {}
    except Exception:  # a describe() failure must not stop a run
        described = {}
    base_url = described.get("base_url")
    api = described.get("api")
    return CallIdentity(
        provider=str(backend.name),
        model=str(backend.model),
        base_url=None if base_url is None else str(base_url),
        api=None if api is None else str(api),
    )


def sample_seed(seed: int, sample: int) -> int:
    """The request seed of sample `sample`: the run seed for sample 0 (so k = 1 runs share cache
    entries), else a value derived from (seed, sample) that does not collide with other seeds."""
    if sample == 0:
        return seed
    digest = hashlib.sha256(f"gsmile-sample:{seed}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def params_for_sample(params: GenerationParams, sample: int) -> GenerationParams:
    """The generation parameters of sample `sample` (its own request seed)."""
    return params if sample == 0 else replace(params, seed=sample_seed(params.seed, sample))


def job_key(identity: CallIdentity, params: GenerationParams, job: CallJob) -> str:
    """The response-cache key of one job."""
    return cache_key(identity, params_for_sample(params, job.sample), job.prompt, job.sample)
