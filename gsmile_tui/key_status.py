"""Where each provider's API key would come from, for the credentials screen.

The order is the app's: a key entered for this session only (passed to the backend explicitly)
→ the provider's environment variable → the system keyring (`gsmile_core.backends.secrets`). Only masked
keys leave this module; a key is held in a `Secret` (masked repr) and never in a plain variable.
Blocking (keyring access can wait on D-Bus): call from a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gsmile_core.errors import ConfigError
from gsmile_core.backends.providers import PROVIDERS, resolve_base_url
from gsmile_core.backends.secrets import KeyringStatus, Secret, keyring_status, locate_key, mask_url


@dataclass(frozen=True)
class KeyRow:
    provider: str
    label: str
    source: str  # "this session only", "environment OPENAI_API_KEY", "keyring", "missing", ...
    masked: str
    destination: str


def _destination(name: str) -> str:
    try:
        return mask_url(resolve_base_url(name)) or "the base URL given to the backend"
    except ConfigError as error:
        return f"invalid: {error}"


def key_rows(session_keys: Mapping[str, Secret], status: KeyringStatus | None = None) -> list[KeyRow]:
    status = status or keyring_status()
    rows = []
    for name, info in PROVIDERS.items():
        found = locate_key(name, status=status, session_key=session_keys.get(name))
        source = found.describe(env_word="environment", missing="missing",
                                not_needed="missing (most local servers need none)")
        rows.append(KeyRow(name, info.label, source, found.masked, _destination(name)))
    return rows


def keyring_sentence(status: KeyringStatus) -> str:
    if status.usable and status.secure:
        return f"System keyring: {status.backend} (a secure store: keys saved there are not written in plain text)."
    if status.usable:
        return f"System keyring is NOT secure: {status.problem}. Prefer a this-session-only key (f2)."
    return (
        f"No secure keyring here: {status.problem}. Keys can be used for this session only (f2) "
        "or set in the environment."
    )
