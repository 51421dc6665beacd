"""Fixtures for the API backend tests: a clean credential environment and real keyring backends."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import pytest
from fakes.keyrings import MemoryKeyring

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY", "OPENAI_COMPATIBLE_API_KEY",
            "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "TOGETHER_BASE_URL")


@pytest.fixture(autouse=True)
def clean_key_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here sees the developer's real keys or base URLs."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def use_keyring() -> Iterator:
    """Install a keyring backend for one test, then put the previous one back."""
    previous = keyring.get_keyring()

    def install(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(use_keyring) -> MemoryKeyring:
    return use_keyring(MemoryKeyring())


@pytest.fixture
def no_keyring(use_keyring):
    """keyring's `fail` backend: what an SSH session without a desktop usually gets."""
    import keyring.backends.fail

    return use_keyring(keyring.backends.fail.Keyring())
