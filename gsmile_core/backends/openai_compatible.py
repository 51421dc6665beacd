"""The `openai-compatible` backend: any server speaking OpenAI's wire format (vLLM, Ollama,
llama.cpp server, LM Studio), through the official `openai` SDK pointed at `base_url`.

A base URL is required, and the key is this provider's own (OPENAI_COMPATIBLE_API_KEY or the
keyring), never OPENAI_API_KEY: an OpenAI key must not be sent to some other server by accident.
Most local servers need no key at all. Without `model`, the server's /models list is asked once,
when the backend is made: local servers usually serve exactly one model, which is then used (and
recorded, so the cache and audit trail name the real model).
"""

from __future__ import annotations

from typing import Any

from ..errors import BackendError, ConfigError
from .api_common import NEEDS_BASE_URL
from .api_errors import classify
from .base import BACKENDS
from .openai_api import OpenAIFormatBackend
from .secrets import redact_query, reveal_query


@BACKENDS.register("openai-compatible", "any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio); needs --base-url")
class OpenAICompatibleBackend(OpenAIFormatBackend):
    name = "openai-compatible"
    provider_name = "openai-compatible"
    max_tokens_field = "max_tokens"  # what vLLM, Ollama and llama.cpp all accept

    def __init__(self, *, model: str | None = None, base_url: str | None = None, **options: Any) -> None:
        if not base_url:
            raise ConfigError(NEEDS_BASE_URL, field="base_url")
        super().__init__(model=model, base_url=base_url, **options)
        if not self.model:
            self.model = self._discover_model()

    @property
    def where(self) -> str:
        return f"openai-compatible server at {self.base_url}"

    def _discover_model(self) -> str:
        """The one model the server lists, asked once at construction (so the cache and audit
        identity name the real model from the first call on)."""
        import openai

        failure: BackendError | None = None
        names: list[str] = []
        try:
            with openai.OpenAI(
                api_key=self.credentials.secret.reveal() if self.credentials.secret else "no-key-configured",
                base_url=self.endpoint, default_query=reveal_query(self.query), max_retries=0,
                timeout=min(self.timeout, 15.0),
            ) as client:
                page = client.models.list()
                names = [m.id for m in getattr(page, "data", None) or [] if isinstance(getattr(m, "id", None), str)]
        except Exception as error:  # one line, as for any call
            failure = classify(error, openai, self.where, key_env=self.info.key_env,
                               provider_name=self.provider_name, timeout=min(self.timeout, 15.0),
                               secret=self.credentials.secret)
        if failure is not None:
            raise BackendError(redact_query(f"{failure} (while asking which model it serves; --model skips this)", self.query),
                               kind=failure.kind, retry_after=failure.retry_after)
        if len(names) == 1:
            return names[0]
        if not names:
            raise BackendError(f"{self.where}: lists no models; name one with --model", kind="bad_request")
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        raise BackendError(f"{self.where}: serves several models ({shown}); choose one with --model",
                           kind="bad_request")
