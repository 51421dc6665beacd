"""The API providers gSMILE can send prompts to: where their key comes from and where it goes.

One table, read by the credential chain (`secrets`), the backends and `gsmile keys list`, so the
URL a key is shown to go to is the URL the backend really sends it to. Base URLs are resolved here
(option → provider environment variable → default) and always passed to the SDK explicitly, so an
SDK never picks an address on its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..errors import ConfigError


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    key_env: str
    base_url_env: str | None
    default_base_url: str | None
    needs_key: bool = True
    key_help: str = ""


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(
        "openai", "OpenAI", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1",
        key_help="https://platform.openai.com/api-keys",
    ),
    "anthropic": Provider(
        "anthropic", "Anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
        "https://api.anthropic.com", key_help="https://console.anthropic.com/settings/keys",
    ),
    # The Together SDK sends chat calls to its inference host unless a base URL is set.
    "together": Provider(
        "together", "Together", "TOGETHER_API_KEY", "TOGETHER_BASE_URL",
        "https://api-inference.together.ai", key_help="https://api.together.ai/settings/api-keys",
    ),
    # vLLM, Ollama, llama.cpp server, LM Studio: many need no key at all.
    "openai-compatible": Provider(
        "openai-compatible", "OpenAI-compatible server", "OPENAI_COMPATIBLE_API_KEY", None, None,
        needs_key=False,
    ),
}


def provider(name: str) -> Provider:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown provider {name!r} (known: {', '.join(PROVIDERS)})"
        ) from None


def validate_base_url(url: str) -> str:
    """An http(s) URL with a host, without trailing slash; anything else is a ConfigError.

    A query string is kept (some gateways take a token or an API version there) but never shown:
    error messages print the URL without it, and backends mask it (`secrets.mask_url`)."""
    text = url.strip()
    parts = urlsplit(text)
    shown = parts._replace(query="", fragment="").geturl() + ("?…" if parts.query else "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{{setting}} must be an http:// or https:// URL with a host, got {shown!r}", field="base_url")
    if parts.username or parts.password:
        raise ConfigError("{setting} must not contain a user name or password; use an API key", field="base_url")
    if parts.fragment:
        raise ConfigError(f"{{setting}} must not end in a #fragment, got {shown!r}", field="base_url")
    if not parts.query:
        return text.rstrip("/")
    return urlunsplit(parts._replace(path=parts.path.rstrip("/")))


def split_base_url(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A validated base URL as (the URL without its query string, the query's name/value pairs):
    SDKs append their paths to the first and send the second with every request."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="")), tuple(parse_qsl(parts.query, keep_blank_values=True))


def resolve_base_url(name: str, option: str | None = None,
                     environ: Mapping[str, str] | None = None) -> str | None:
    """The URL a provider's requests (and key) go to: option → environment variable → default."""
    info = provider(name)
    environ = os.environ if environ is None else environ
    if option:
        return validate_base_url(option)
    if info.base_url_env and environ.get(info.base_url_env):
        return validate_base_url(environ[info.base_url_env])
    if info.default_base_url is None:
        return None
    return info.default_base_url
