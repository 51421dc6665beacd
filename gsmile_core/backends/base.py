"""The backend protocol and the registry of backends.

A backend turns one prompt into one `Generation`. It owns nothing else: concurrency, retries,
caching and budgets live in the call engine (`gsmile_core.calls`), the same for every backend.

Contract of `generate(prompt, params)`:
- returns a `Generation` whose `text` is the raw answer (the engine sanitises it);
- raises `BackendError` with a `kind` (auth, rate_limit, server, timeout, bad_response,
  connection, unavailable, context_length, bad_request, quota) and a one-line message naming the provider; never
  lets a provider SDK's exception escape, and never puts a key in a message;
- must be safe to call concurrently from one event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..registry import Registry
from ..types import Generation, GenerationParams


@runtime_checkable
class Backend(Protocol):
    name: str
    model: str

    async def generate(self, prompt: str, params: GenerationParams) -> Generation: ...

    async def aclose(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """What to record in provenance (never a secret): model, base URL, options."""
        ...


BackendFactory = Callable[..., Backend]
BACKENDS: Registry[BackendFactory] = Registry("backend", field="backend")

# Each backend's module registers it when imported; imported lazily so a missing optional SDK
# only matters when that backend is asked for.
for _name, _module in {
    "local": "gsmile_core.backends.local",
    "fake": "gsmile_core.backends.fake",
    "openai": "gsmile_core.backends.openai_api",
    "anthropic": "gsmile_core.backends.anthropic_api",
    "together": "gsmile_core.backends.together_api",
    "openai-compatible": "gsmile_core.backends.openai_compatible",
}.items():
    BACKENDS.declare(_name, _module)


def register_backend_module(name: str, module: str) -> None:
    """Declare a backend `name` whose module (dotted) registers it when first used."""
    BACKENDS.declare(name, module)


def backend_names() -> list[str]:
    return BACKENDS.names()


def create_backend(name: str, **options: Any) -> Backend:
    """Build backend `name` with its options (model, base_url, ...); unknown names raise ConfigError."""
    return BACKENDS.get(name)(**options)
