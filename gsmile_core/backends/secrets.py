"""API keys: where they come from, and how they are kept out of everything gSMILE writes.

A key lives in a `Secret`, whose repr/str/format are masked (`sk-…a1b2`) and which refuses to be
pickled, so a traceback, log line, cache row, session, audit file or report that touches one shows
the mask, never the value. The value comes out only through `reveal()`, called inline where the
SDK client is built.

Resolution order for a provider: its environment variable (OPENAI_API_KEY, ANTHROPIC_API_KEY,
TOGETHER_API_KEY, OPENAI_COMPATIBLE_API_KEY) → the system keyring (service "gsmile", user = the
provider name) → a ConfigError naming both ways. Over SSH there is often no usable keyring
(keyring's `fail` backend), it may be disabled (`null`), or it may store keys in a plain file
(`keyrings.alt` plaintext backends); each case is detected and explained, and a key is read back
after it is saved to prove it was stored.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from ..errors import ConfigError
from .providers import provider as provider_info
from .providers import split_base_url
from ..sanitize import one_line

SERVICE = "gsmile"
_MASK = "…"
# Shapes of provider keys, for scrubbing text that did not come from gSMILE (provider messages).
_KEY_SHAPES = re.compile(
    r"(?:\b(?:sk|rk|pk|tgp)[-_][A-Za-z0-9_\-\*\.]{6,})|(?:\b[A-Fa-f0-9]{40,}\b)"
)


class Secret:
    """A credential whose text representation never shows the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret needs a str")
        cleaned = value.strip()
        if not cleaned:
            raise ConfigError("the API key is empty")
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
            raise ConfigError("the API key contains spaces or control characters; paste only the key")
        object.__setattr__(self, "_value", cleaned)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def reveal(self) -> str:
        """The key itself: call inline where the SDK needs it, never store it in a variable."""
        return self._value

    def masked(self) -> str:
        value = self._value
        if len(value) < 12:
            return _MASK * 3
        head = value[:3] if value[:3].isascii() else ""
        return f"{head}{_MASK}{value[-4:]}"

    def __repr__(self) -> str:
        return f"Secret('{self.masked()}')"

    __str__ = masked

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled or copied to disk")

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the key replaced by its mask."""
        return text.replace(self._value, self.masked())


def scrub(text: str, secret: Secret | None = None) -> str:
    """Text from outside gSMILE (provider error messages) made safe to show: one line, no key."""
    if secret is not None:
        text = secret.redact(text)
    return _KEY_SHAPES.sub("[redacted]", one_line(text))


# -- base URLs -----------------------------------------------------------------------------------
UrlQuery = tuple[tuple[str, "Secret | str"], ...]


def url_query(url: str) -> tuple[str, UrlQuery]:
    """A validated base URL as (the URL without its query, the query with every non-empty value
    held as a `Secret`): a token in a base URL's query string is a credential like any key."""
    endpoint, pairs = split_base_url(url)
    held = []
    for name, value in pairs:
        try:
            held.append((name, Secret(value) if value.strip() else value))
        except ConfigError:
            raise ConfigError(f"{{setting}}: the value of {name!r} in its query string contains spaces or "
                              "control characters", field="base_url") from None
    return endpoint, tuple(held)


def reveal_query(query: UrlQuery) -> dict[str, str] | None:
    """The query as an SDK's `default_query` (call inline where the client is built)."""
    return {name: value.reveal() if isinstance(value, Secret) else value for name, value in query} or None


def mask_url(url: str | None) -> str | None:
    """`url` safe to show, store and log: each query-string value masked like a key."""
    if url is None:
        return None
    endpoint, query = url_query(url)
    if not query:
        return url
    return endpoint + "?" + "&".join(f"{name}={value.masked() if isinstance(value, Secret) else value}"
                                     for name, value in query)


def redact_query(text: str, query: UrlQuery) -> str:
    """`text` with every query-string token of a base URL replaced by its mask."""
    for _, value in query:
        if isinstance(value, Secret):
            text = value.redact(text)
    return text


# -- the keyring -------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyringStatus:
    """What the system keyring is here and whether gSMILE should use it."""

    backend: str
    usable: bool
    secure: bool
    problem: str | None = None

    def advice(self, env_var: str) -> str:
        return f"{self.problem}; set {env_var} in the environment instead"


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _leaf_backends(backend: object) -> list[object]:
    """A chainer backend stands for the backends it chains; others stand for themselves."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return list(backend.backends)
    return [backend]


def keyring_status() -> KeyringStatus:
    try:
        import keyring
    except ImportError:  # pragma: no cover - declared dependency
        return KeyringStatus("none", False, False, "the keyring package is not installed")
    try:
        backend = keyring.get_keyring()
    except Exception as error:  # a broken keyringrc or backend import
        return KeyringStatus("unknown", False, False, f"the system keyring failed to load ({type(error).__name__})")
    name = _backend_name(backend)
    leaves = _leaf_backends(backend)
    if not leaves:
        return KeyringStatus(name, False, False, "no system keyring is available here: keyring found no backend to chain")
    modules = [type(b).__module__ for b in leaves]
    names = [_backend_name(b).lower() for b in leaves]
    if all(m == "keyring.backends.fail" for m in modules):
        return KeyringStatus(
            name, False, False,
            "no system keyring is available here: keyring found no backend, as usual over SSH or "
            "without a desktop session",
        )
    if all(m == "keyring.backends.null" for m in modules):
        return KeyringStatus(
            name, False, False,
            "the system keyring is disabled: keyring's null backend is selected, e.g. by "
            "PYTHON_KEYRING_BACKEND or keyringrc.cfg",
        )
    if any("plaintext" in n or (n.startswith("keyrings.alt") and "encrypted" not in n) for n in names):
        return KeyringStatus(
            name, True, False,
            f"the keyring backend here ({name}) stores keys unencrypted in a file",
        )
    return KeyringStatus(name, True, True)


def _keyring_error(action: str, error: BaseException) -> str:
    detail = scrub(str(error))[:120]
    return f"the system keyring failed to {action} ({type(error).__name__}{': ' + detail if detail else ''})"


def keyring_get(provider_name: str) -> Secret | None:
    """The key stored for `provider_name`, or None; an unusable keyring raises ConfigError."""
    status = keyring_status()
    if not status.usable:
        raise ConfigError(status.problem or "the system keyring is unusable")
    import keyring

    failure: str | None = None
    try:
        # wrapped at once: the plain value never sits in a local a crash screen could print
        found = _wrap(keyring.get_password(SERVICE, provider_name))
    except ConfigError:
        raise
    except Exception as error:
        failure = _keyring_error("read", error)
    if failure is not None:
        raise ConfigError(failure)
    return found


def _wrap(value: str | None) -> Secret | None:
    return Secret(value) if value and value.strip() else None


def keyring_set(provider_name: str, secret: Secret, *, allow_insecure: bool = False) -> KeyringStatus:
    """Store a key, then read it back to verify; refuses unusable and (unless allowed) plaintext keyrings."""
    info = provider_info(provider_name)
    status = keyring_status()
    if not status.usable:
        raise ConfigError(f"cannot save the key: {status.advice(info.key_env)}")
    if not status.secure and not allow_insecure:
        raise ConfigError(
            f"refusing to save the key: {status.problem}; set {info.key_env} in the environment "
            "instead, or pass --allow-insecure-keyring"
        )
    import keyring

    failure: str | None = None
    try:
        keyring.set_password(SERVICE, provider_name, secret.reveal())
    except Exception as error:
        failure = _keyring_error("save the key", error)
    if failure is None:
        try:
            verified = _wrap(keyring.get_password(SERVICE, provider_name)) == secret
        except Exception as error:
            failure = _keyring_error("read the key back", error)
        else:
            if not verified:
                failure = (
                    f"the keyring ({status.backend}) accepted the key but did not return it when "
                    f"read back, so it is not stored; set {info.key_env} in the environment instead"
                )
    if failure is not None:
        raise ConfigError(failure)
    return status


def keyring_delete(provider_name: str) -> bool:
    """Remove a stored key; False when there was none."""
    provider_info(provider_name)
    status = keyring_status()
    if not status.usable:
        raise ConfigError(f"cannot delete the key: {status.problem}")
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, provider_name)
    except PasswordDeleteError:
        return False
    except Exception as error:
        raise ConfigError(_keyring_error("delete the key", error)) from None
    return True


# -- resolution --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedKey:
    """A provider's key (or None when it needs none) and where it was found."""

    provider: str
    secret: Secret | None
    source: str  # "env OPENAI_API_KEY", "keyring (backend)", or "none"

    def __repr__(self) -> str:
        return f"ResolvedKey({self.provider!r}, {self.secret!r}, {self.source!r})"


def resolve_key(provider_name: str, *, environ: Mapping[str, str] | None = None,
                required: bool | None = None) -> ResolvedKey:
    """Environment variable → keyring → ConfigError naming both ways (unless no key is needed)."""
    info = provider_info(provider_name)
    environ = os.environ if environ is None else environ
    required = info.needs_key if required is None else required
    if environ.get(info.key_env, "").strip():
        return ResolvedKey(provider_name, Secret(environ[info.key_env]), f"env {info.key_env}")
    keyring_problem: str | None = None
    status = keyring_status()
    if status.usable:
        try:
            found = keyring_get(provider_name)
        except ConfigError as error:
            keyring_problem = str(error)
        else:
            if found is not None:
                return ResolvedKey(provider_name, found, f"keyring ({status.backend})")
    else:
        keyring_problem = status.problem
    if not required:
        return ResolvedKey(provider_name, None, "none")
    message = (
        f"no {info.label} API key: set {info.key_env} in the environment, or store one in the "
        f"system keyring with `gsmile keys set {provider_name}`"
    )
    if keyring_problem:
        message += f"; {keyring_problem}, so use the environment variable"
    raise ConfigError(message)


# -- where each key would come from (for listings) ---------------------------------------------
@dataclass(frozen=True)
class KeySource:
    """Where a provider's key would come from, for `gsmile keys list` and the credentials screen.

    Holds the key only as its mask. `kind` is "session" (entered for this session only), "env",
    "keyring" or "missing"; `problem` says why the key there cannot be used (a malformed
    environment value, a keyring read error), in which case `masked` is empty.
    """

    provider: str
    kind: Literal["session", "env", "keyring", "missing"]
    masked: str = ""
    env_var: str = ""
    problem: str | None = None
    needs_key: bool = True

    def describe(self, *, env_word: str = "env", missing: str = "not set",
                 not_needed: str = "not set (often not needed)") -> str:
        """One line for a listing; callers choose only the words (the CLI's terse, the TUI's plain)."""
        if self.kind == "session":
            return "this session only"
        if self.kind == "env":
            unusable = f" (unusable: {self.problem})" if self.problem else ""
            return f"{env_word} {self.env_var}{unusable}"
        if self.kind == "keyring":
            return f"keyring error: {self.problem}" if self.problem else "keyring"
        return missing if self.needs_key else not_needed


def locate_key(provider_name: str, *, status: KeyringStatus,
               session_key: Secret | None = None,
               environ: Mapping[str, str] | None = None) -> KeySource:
    """This session's key → the environment variable → the keyring (when usable) → missing.

    Never raises for a bad key or keyring: the reason is kept in `problem` so a listing can show it.
    """
    info = provider_info(provider_name)
    environ = os.environ if environ is None else environ
    source = partial(KeySource, provider_name, env_var=info.key_env, needs_key=info.needs_key)
    if session_key is not None:
        return source("session", session_key.masked())
    if environ.get(info.key_env, "").strip():
        try:
            return source("env", Secret(environ[info.key_env]).masked())
        except ConfigError as error:
            return source("env", problem=str(error))
    if status.usable:
        try:
            found = keyring_get(provider_name)
        except ConfigError as error:
            return source("keyring", problem=str(error))
        if found is not None:
            return source("keyring", found.masked())
    return source("missing")
