"""The `anthropic` backend: Anthropic's Messages API through the official `anthropic` SDK.

The SDK (2.x) has no `temperature`/`top_p` arguments on `messages.create`; the API still takes
them, so they go in the request body through the SDK's `extra_body`, the SDK's own way to send
parameters it does not type. `temperature="ignore"` leaves them out (for models that reject
sampling parameters); `describe()` records which. The API has no seed: answers at temperature 0
are near-deterministic, not guaranteed identical. The system prompt goes in `system`.
"""

from __future__ import annotations

from typing import Any

import anthropic

from ..errors import ConfigError
from ..types import Generation, GenerationParams
from .api_common import DEFAULT_TIMEOUT_S, ApiBackend
from .base import BACKENDS
from .secrets import reveal_query

DEFAULT_MODEL = "claude-haiku-4-5"
TEMPERATURE_MODES = ("send", "ignore")


@BACKENDS.register("anthropic", "Anthropic Messages API")
class AnthropicBackend(ApiBackend):
    name = "anthropic"
    provider_name = "anthropic"
    sdk = anthropic

    def __init__(self, *, model: str | None = None, api_key: Any = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, temperature: str = "send", **_: Any) -> None:
        if temperature not in TEMPERATURE_MODES:
            raise ConfigError(f"anthropic temperature mode must be send or ignore, got {temperature!r}")
        super().__init__(model=model or DEFAULT_MODEL, api_key=api_key, base_url=base_url, timeout=timeout)
        self.temperature_mode = temperature

    def _make_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self.credentials.secret.reveal() if self.credentials.secret else None,
            base_url=self.endpoint,
            default_query=reveal_query(self.query),
            max_retries=0,  # gSMILE's call engine owns the one retry loop
            timeout=self.timeout,
        )

    def _extra_body(self, params: GenerationParams) -> dict[str, Any] | None:
        if self.temperature_mode == "ignore":
            return None
        body: dict[str, Any] = {"temperature": params.temperature}
        if params.top_p is not None:
            body["top_p"] = params.top_p
        return body

    async def _call(self, client: anthropic.AsyncAnthropic, prompt: str, params: GenerationParams) -> Generation:
        options: dict[str, Any] = {}
        if params.system_prompt:
            options["system"] = params.system_prompt
        response = await client.messages.create(
            model=self.model,
            max_tokens=params.max_tokens,
            messages=[{"role": "user", "content": prompt}],
            extra_body=self._extra_body(params),
            timeout=self.timeout,
            **options,
        )
        if isinstance(response, (str, bytes)):
            raise self.bad_response("sent a page that is not JSON (a proxy or a wrong --base-url?)")
        content = getattr(response, "content", None)
        if not isinstance(content, list):
            raise self.bad_response("sent a message with no content (wrong shape)")
        texts = [getattr(block, "text", None) for block in content if getattr(block, "type", None) == "text"]
        if content and not texts or not all(isinstance(t, str) for t in texts):
            raise self.bad_response("sent a message with no text (wrong shape)")
        usage = getattr(response, "usage", None)
        model = getattr(response, "model", None)
        stop = getattr(response, "stop_reason", None)
        return Generation(
            text="".join(texts),
            model=model if isinstance(model, str) and model else self.model,
            finish_reason=stop if isinstance(stop, str) else None,
            prompt_tokens=_int(getattr(usage, "input_tokens", None)),
            completion_tokens=_int(getattr(usage, "output_tokens", None)),
            fingerprint=None,
        )

    def describe(self) -> dict[str, Any]:
        sent = "sent via extra_body" if self.temperature_mode == "send" else "ignored"
        return {**super().describe(), "temperature": sent}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
