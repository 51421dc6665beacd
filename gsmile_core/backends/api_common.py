"""What every API backend shares: key and URL resolution, the call skeleton with timing, the
prompt templates, and the front-end options.

SDK retries are off (max_retries=0): one retry loop, gSMILE's call engine. Every failure of a call
becomes one `BackendError` (see `api_errors`), raised outside the `except` block so it carries no
`__context__` pointing at the SDK exception (whose request object holds the Authorization header).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ..errors import BackendError, ConfigError
from .providers import provider as provider_info
from .providers import resolve_base_url
from .secrets import ResolvedKey, Secret, mask_url, redact_query, resolve_key, url_query
from ..types import Generation, GenerationParams
from .api_errors import classify, parse_retry_after

__all__ = ["API_BACKENDS", "ApiBackend", "DEFAULT_TIMEOUT_S", "api_backend_options", "check_api_options", "classify", "parse_retry_after"]

DEFAULT_TIMEOUT_S = 60.0


def resolve_credentials(provider_name: str, api_key: Secret | ResolvedKey | str | None) -> ResolvedKey:
    """The key to use: one given by the caller (CLI), else the env → keyring chain."""
    if isinstance(api_key, ResolvedKey):
        return api_key
    if isinstance(api_key, Secret):
        return ResolvedKey(provider_name, api_key, "given")
    if isinstance(api_key, str):
        return ResolvedKey(provider_name, Secret(api_key), "given")
    return resolve_key(provider_name)


def check_timeout(timeout: Any) -> float:
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise ConfigError(f"timeout must be a number of seconds, got {timeout!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return value


class ApiBackend:
    """Shared skeleton: subclasses build the SDK client and make one call in `_call`."""

    name = "api"
    provider_name = "openai"
    sdk: Any = None

    def __init__(self, *, model: str | None, api_key: Any = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.info = provider_info(self.provider_name)
        self.credentials = resolve_credentials(self.provider_name, api_key)
        resolved = resolve_base_url(self.provider_name, base_url)
        # What the SDK gets: the URL without its query, and the query (tokens held as Secrets)
        # sent with every request. `base_url` is the masked form, for messages and provenance.
        self.endpoint, self.query = url_query(resolved) if resolved else (None, ())
        self.base_url = mask_url(resolved)
        self.timeout = check_timeout(timeout)
        self.model = model or ""
        self._client: Any = None

    # -- to implement ----------------------------------------------------------------------------
    def _make_client(self) -> Any:
        raise NotImplementedError

    async def _call(self, client: Any, prompt: str, params: GenerationParams) -> Generation:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    @property
    def where(self) -> str:
        """How error messages name the provider."""
        return self.provider_name

    def _client_or_make(self) -> Any:
        # Made on first use, inside the running event loop the calls will use.
        if self._client is None:
            self._client = self._make_client()
        return self._client

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        started = time.perf_counter()
        failure: BackendError | None = None
        try:
            generation = await self._call(self._client_or_make(), prompt, params)
        except BackendError as error:
            failure = BackendError(str(error), kind=error.kind, retry_after=error.retry_after)
        except Exception as error:  # every SDK failure becomes one BackendError
            failure = classify(
                error, self.sdk, self.where, key_env=self.info.key_env, provider_name=self.provider_name,
                timeout=self.timeout, secret=self.credentials.secret,
            )
        if failure is not None:
            # outside the except block: no link to the SDK exception
            raise BackendError(redact_query(str(failure), self.query), kind=failure.kind,
                               retry_after=failure.retry_after)
        return replace(generation, latency_s=time.perf_counter() - started)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except Exception:
                pass

    def describe(self) -> dict[str, Any]:
        return {
            "provider": self.provider_name,
            "model": self.model,
            "base_url": self.base_url or self.info.default_base_url,
            "key_source": self.credentials.source,
            "timeout_s": self.timeout,
            "sdk": f"{getattr(self.sdk, '__name__', '?')} {getattr(self.sdk, '__version__', '?')}",
            "sdk_retries": 0,
        }

    def bad_response(self, what: str) -> BackendError:
        return BackendError(f"{self.where}: {what}", kind="bad_response")


def user_messages(prompt: str, params: GenerationParams) -> list[dict[str, str]]:
    """The chat template, identical for every call: optional system message, then the prompt."""
    messages = []
    if params.system_prompt:
        messages.append({"role": "system", "content": params.system_prompt})
    messages.append({"role": "user", "content": prompt})
    return messages


def completion_prompt(prompt: str, params: GenerationParams) -> str:
    """The legacy-completions template: the system prompt (if any), a blank line, the prompt."""
    if params.system_prompt:
        return f"{params.system_prompt}\n\n{prompt}"
    return prompt


API_BACKENDS = ("openai", "anthropic", "together", "openai-compatible")
NEEDS_BASE_URL = (
    "the openai-compatible backend needs the server's base URL, {setting} (for example "
    "http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama)"
)
_API_CHOICE_BACKENDS = ("openai", "openai-compatible")


def check_api_options(backend: str, *, base_url: str | None = None, api: str | None = None) -> None:
    """Whether `backend` takes this base URL and endpoint choice, checked without reading any key
    or opening a connection (ConfigError whose field is base_url or api)."""
    if backend not in API_BACKENDS:
        if base_url or api:
            raise ConfigError(
                f"{{setting}} applies to API backends ({', '.join(API_BACKENDS)}) only, not {backend}",
                field="base_url" if base_url else "api",
            )
        return
    if api and backend not in _API_CHOICE_BACKENDS:
        raise ConfigError(
            f"{{setting}} (the API endpoint) applies to {' and '.join(_API_CHOICE_BACKENDS)} only, not {backend}", field="api"
        )
    if backend == "openai-compatible" and not base_url:
        raise ConfigError(NEEDS_BASE_URL, field="base_url")
    if base_url:
        resolve_base_url(backend, base_url)


def api_backend_options(backend: str, *, base_url: str | None = None, api: str | None = None) -> dict[str, Any]:
    """Factory options for an API backend from front-end flags: the resolved key (env → keyring),
    the base URL and the endpoint choice. Raises ConfigError before any call when the key is
    missing or a flag does not apply."""
    check_api_options(backend, base_url=base_url, api=api)
    if backend not in API_BACKENDS:
        return {}
    options: dict[str, Any] = {"api_key": resolve_key(backend)}
    if base_url:
        options["base_url"] = resolve_base_url(backend, base_url)
    if api:
        options["api"] = api
    return options
