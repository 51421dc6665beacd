"""The options a backend is built with, in one place for every front end.

From a run's settings: the calls in flight (`ExplainConfig.concurrency`) are also the local
model's parallel llama.cpp slots, and the per-call timeout is also the API SDK's, so each setting
is read once, here, and the CLI and the TUI cannot build them differently.

From an explanation, to ask its model again (trust checks, `gsmile metric deletion`): it records
its backend's name and key-free description (`extras["backend"]`: the model asked for, the base
URL, the endpoint). All three are needed: another base URL is another server (and the key would go
there); another model name is another model (the provider's reply names a dated version, not what
was asked, so `provenance.model` is only a fallback for explanations without the description).
A base URL stored masked (its query string held a token) must be given again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import ExplainConfig
from ..errors import ConfigError
from ..types import Explanation
from ..backends.api_common import API_BACKENDS

MASK = "…"


def options_for_run(backend: str, config: ExplainConfig, *, model: str | None = None) -> dict[str, Any]:
    """Factory options that follow from the run's settings (and the model, when one is named)."""
    options: dict[str, Any] = {}
    if model:
        options["model"] = model
    if backend == "local":
        options["parallel"] = config.concurrency
    if backend in API_BACKENDS:
        options["timeout"] = config.call_timeout  # one per-call timeout: the SDK's and the engine's agree
    return options


@dataclass(frozen=True)
class Origin:
    """The backend, model, base URL and endpoint an explanation was made with."""

    backend: str
    model: str | None
    base_url: str | None
    api: str | None

    def where(self) -> str:
        at = f" at {self.base_url}" if self.base_url else ""
        return f"{self.backend} model {self.model or '(default)'}{at}"


def origin_of(explanation: Explanation) -> Origin:
    described = explanation.extras.get("backend")
    described = described if isinstance(described, dict) else {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) and value else None

    return Origin(
        backend=explanation.provenance.backend,
        model=text(described.get("model")) or text(explanation.provenance.model),
        base_url=text(described.get("base_url")),
        api=text(described.get("api")),
    )


def same_model(origin: Origin, *, backend: str | None = None, model: str | None = None,
               base_url: str | None = None) -> tuple[str, str | None, str | None, str | None]:
    """(backend, model, base URL, endpoint) to ask the explanation's model again; explicit values
    override the recorded ones. ConfigError rather than quietly asking another model: another
    backend needs the model named too, and a masked or unrecorded base URL must be given."""
    name = backend or origin.backend
    if name != origin.backend:
        if not model:
            raise ConfigError(
                f"this explanation was made by {origin.where()}; --backend {name} would ask another model "
                f"(and send {name}'s key elsewhere): drop --backend, or name the model to test with --model"
            )
        return name, model, base_url, None
    url = base_url or origin.base_url
    if url and MASK in url and not base_url:
        raise ConfigError(
            f"this explanation was made at {origin.base_url}, whose token is stored masked: "
            "give the base URL again with --base-url"
        )
    if name == "openai-compatible" and not url:
        raise ConfigError("this explanation does not record its base URL (an older gSMILE made it): "
                          "give it with --base-url")
    return name, model or origin.model, url if name in API_BACKENDS else base_url, origin.api if name in API_BACKENDS else None
