"""Fixtures for the API backend tests: a clean credential environment and real keyring backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.errors import PasswordDeleteError

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY", "OPENAI_COMPATIBLE_API_KEY",
            "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "TOGETHER_BASE_URL")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (what a secure store does, minus the disk)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


class ForgetfulKeyring(MemoryKeyring):
    """Accepts writes and silently drops them (as some broken D-Bus setups do)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class PlaintextFileKeyring(MemoryKeyring):
    """Stores passwords unencrypted in a file, like keyrings.alt's PlaintextKeyring."""

    path: Path

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password)
        self.path.write_text(repr(self.store))


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
