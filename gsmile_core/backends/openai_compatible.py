"""The `openai-compatible` backend: any server speaking OpenAI's wire format (vLLM, Ollama,
llama.cpp server, LM Studio), through the official `openai` SDK pointed at `base_url`.

A base URL is required, and the key is this provider's own (OPENAI_COMPATIBLE_API_KEY or the
keyring), never OPENAI_API_KEY: an OpenAI key must not be sent to some other server by accident.
Most local servers need no key at all. Without `model`, the server's /models list is asked once:
local servers usually serve exactly one model, which is then used (and recorded).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import BackendError, ConfigError
from ..types import Generation, GenerationParams
from .base import BACKENDS
from .openai_api import OpenAIFormatBackend


@BACKENDS.register("openai-compatible", "any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio); needs --base-url")
class OpenAICompatibleBackend(OpenAIFormatBackend):
    name = "openai-compatible"
    provider_name = "openai-compatible"
    max_tokens_field = "max_tokens"  # what vLLM, Ollama and llama.cpp all accept

    def __init__(self, *, model: str | None = None, base_url: str | None = None, **options: Any) -> None:
        if not base_url:
            raise ConfigError(
                "--backend openai-compatible needs --base-url URL (for example "
                "http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama)"
            )
        super().__init__(model=model, base_url=base_url, **options)
        self._model_lock: asyncio.Lock | None = None

    @property
    def where(self) -> str:
        return f"openai-compatible server at {self.base_url}"

    @property
    def api(self) -> str:
        return self.api_option or "chat"

    async def _discover_model(self, client: Any) -> None:
        if self._model_lock is None:
            self._model_lock = asyncio.Lock()
        async with self._model_lock:
            if self.model:
                return
            page = await client.models.list(timeout=self.timeout)
            names = [m.id for m in getattr(page, "data", None) or [] if isinstance(getattr(m, "id", None), str)]
            if len(names) == 1:
                self.model = names[0]
                return
            if not names:
                raise BackendError(f"{self.where}: lists no models; name one with --model", kind="bad_request")
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            raise BackendError(
                f"{self.where}: serves several models ({shown}); choose one with --model", kind="bad_request"
            )

    async def _call(self, client: Any, prompt: str, params: GenerationParams) -> Generation:
        if not self.model:
            await self._discover_model(client)
        return await super()._call(client, prompt, params)
