"""The `together` backend: Together AI chat completions through the official `together` SDK (the
paper's LLaMA 3.1 Instruct Turbo runs there).

Without a base URL the SDK sends chat calls to its inference host; with one (option or
TOGETHER_BASE_URL) it posts to `<base>/v1/chat/completions`. Same template and parameters as the
OpenAI backends (max_tokens, temperature, top_p, seed).
"""

from __future__ import annotations

from typing import Any

import together

from ..types import Generation, GenerationParams
from .api_common import DEFAULT_TIMEOUT_S, ApiBackend, user_messages
from .base import BACKENDS
from .secrets import reveal_query
from .openai_api import read_chat_response

DEFAULT_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"


@BACKENDS.register("together", "Together AI chat completions")
class TogetherBackend(ApiBackend):
    name = "together"
    provider_name = "together"
    sdk = together

    def __init__(self, *, model: str | None = None, api_key: Any = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, **_: Any) -> None:
        super().__init__(model=model or DEFAULT_MODEL, api_key=api_key, base_url=base_url, timeout=timeout)
        # Only an explicit URL goes to the SDK: its default routes chat calls to the inference host.
        self.sdk_base_url = None if self.endpoint == self.info.default_base_url and not self.query else self.endpoint

    def _make_client(self) -> together.AsyncTogether:
        return together.AsyncTogether(
            api_key=self.credentials.secret.reveal() if self.credentials.secret else None,
            base_url=self.sdk_base_url,
            default_query=reveal_query(self.query),
            max_retries=0,  # gSMILE's call engine owns the one retry loop
            timeout=self.timeout,
        )

    async def _call(self, client: together.AsyncTogether, prompt: str, params: GenerationParams) -> Generation:
        options: dict[str, Any] = {"temperature": params.temperature, "seed": params.seed}
        if params.top_p is not None:
            options["top_p"] = params.top_p
        response = await client.chat.completions.create(
            model=self.model,
            messages=user_messages(prompt, params),  # type: ignore[arg-type]
            max_tokens=params.max_tokens,
            timeout=self.timeout,
            **options,
        )
        return read_chat_response(self, response)
