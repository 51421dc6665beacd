"""The `openai` backend: OpenAI's chat completions, or the legacy completions endpoint for instruct
models (gpt-3.5-turbo-instruct, davinci-002, babbage-002), through the official `openai` SDK.

The endpoint follows the model name unless `api="chat"|"completions"` says otherwise. The same
template (optional system message, then the prompt) and the same parameters (max tokens,
temperature, top_p, seed) go with every call. The provider's model id and `system_fingerprint`
are recorded in each `Generation`, so a reviewer can see when the model behind a name changed.
"""

from __future__ import annotations

from typing import Any

import openai

from ..errors import ConfigError
from ..types import Generation, GenerationParams
from .api_common import DEFAULT_TIMEOUT_S, ApiBackend, completion_prompt, user_messages
from .secrets import reveal_query
from .base import BACKENDS

DEFAULT_MODEL = "gpt-4o-mini"
API_NAMES = ("chat", "completions")
# Models served only by the legacy completions endpoint.
_COMPLETIONS_MODELS = ("davinci-002", "babbage-002")


def api_for_model(model: str) -> str:
    """'completions' for instruct/base models that have no chat endpoint, else 'chat'."""
    name = model.lower().rsplit("/", 1)[-1]
    if (name.startswith("gpt-3.5") and "-instruct" in name) or name in _COMPLETIONS_MODELS:
        return "completions"
    return "chat"


def check_api(api: str | None) -> str | None:
    if api is None or api in API_NAMES:
        return api
    raise ConfigError(f"the API endpoint must be one of {', '.join(API_NAMES)}, got {api!r}", field="api")


def read_chat_response(backend: ApiBackend, response: Any) -> Generation:
    """A `Generation` from an OpenAI-format chat completion, or a bad_response BackendError."""
    choices = getattr(response, "choices", None)
    if isinstance(response, (str, bytes)):
        raise backend.bad_response("sent a page that is not JSON (a proxy or a wrong --base-url?)")
    if not isinstance(choices, list) or not choices:
        raise backend.bad_response("sent a response with no choices (wrong shape)")
    message = getattr(choices[0], "message", None)
    text = getattr(message, "content", None)
    if text is None:
        text = getattr(message, "refusal", None)
    if not isinstance(text, str):
        raise backend.bad_response("sent a choice with no text (wrong shape)")
    return _generation(backend, response, text, getattr(choices[0], "finish_reason", None))


def read_completion_response(backend: ApiBackend, response: Any) -> Generation:
    choices = getattr(response, "choices", None)
    if isinstance(response, (str, bytes)):
        raise backend.bad_response("sent a page that is not JSON (a proxy or a wrong --base-url?)")
    if not isinstance(choices, list) or not choices:
        raise backend.bad_response("sent a response with no choices (wrong shape)")
    text = getattr(choices[0], "text", None)
    if not isinstance(text, str):
        raise backend.bad_response("sent a choice with no text (wrong shape)")
    return _generation(backend, response, text, getattr(choices[0], "finish_reason", None))


def _generation(backend: ApiBackend, response: Any, text: str, finish: Any) -> Generation:
    usage = getattr(response, "usage", None)
    model = getattr(response, "model", None)
    fingerprint = getattr(response, "system_fingerprint", None)
    return Generation(
        text=text,
        model=model if isinstance(model, str) and model else backend.model,
        finish_reason=finish if isinstance(finish, str) else None,
        prompt_tokens=_int_or_none(getattr(usage, "prompt_tokens", None)),
        completion_tokens=_int_or_none(getattr(usage, "completion_tokens", None)),
        fingerprint=fingerprint if isinstance(fingerprint, str) and fingerprint else None,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAIFormatBackend(ApiBackend):
    """Chat or legacy completions over the `openai` SDK (shared by openai and openai-compatible)."""

    sdk = openai
    max_tokens_field = "max_tokens"

    def __init__(self, *, model: str | None = None, api_key: Any = None, base_url: str | None = None,
                 api: str | None = None, timeout: float = DEFAULT_TIMEOUT_S, **_: Any) -> None:
        super().__init__(model=model, api_key=api_key, base_url=base_url, timeout=timeout)
        self.api_option = check_api(api)

    @property
    def api(self) -> str:
        return self.api_option or api_for_model(self.model)

    def _make_client(self) -> openai.AsyncOpenAI:
        secret = self.credentials.secret
        return openai.AsyncOpenAI(
            api_key=secret.reveal() if secret is not None else "no-key-configured",
            base_url=self.endpoint,
            default_query=reveal_query(self.query),
            max_retries=0,  # gSMILE's call engine owns the one retry loop
            timeout=self.timeout,
        )

    def _sampling(self, params: GenerationParams) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": params.temperature, "seed": params.seed}
        if params.top_p is not None:
            options["top_p"] = params.top_p
        return options

    async def _call(self, client: openai.AsyncOpenAI, prompt: str, params: GenerationParams) -> Generation:
        if self.api == "completions":
            response = await client.completions.create(
                model=self.model,
                prompt=completion_prompt(prompt, params),
                max_tokens=params.max_tokens,
                timeout=self.timeout,
                **self._sampling(params),
            )
            return read_completion_response(self, response)
        response = await client.chat.completions.create(
            model=self.model,
            messages=user_messages(prompt, params),  # type: ignore[arg-type]
            timeout=self.timeout,
            **{self.max_tokens_field: params.max_tokens},
            **self._sampling(params),
        )
        return read_chat_response(self, response)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "api": self.api}


@BACKENDS.register("openai", "OpenAI chat completions (legacy completions for instruct models)")
class OpenAIBackend(OpenAIFormatBackend):
    name = "openai"
    provider_name = "openai"
    # Chat models (reasoning models included) take max_completion_tokens; max_tokens is deprecated.
    max_tokens_field = "max_completion_tokens"

    def __init__(self, *, model: str | None = None, **options: Any) -> None:
        super().__init__(model=model or DEFAULT_MODEL, **options)
