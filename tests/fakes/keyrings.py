"""Real `keyring` backends for tests, installed with `keyring.set_keyring`.

Their `priority` raises, so keyring never picks one on its own (they are registered as soon as
this module is imported, and other tests in the same process may let keyring choose a backend).
"""

from __future__ import annotations

from pathlib import Path

import keyring.backend
from jaraco.classes.properties import classproperty
from keyring.errors import PasswordDeleteError


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (what a secure store does, minus the disk)."""

    @classproperty
    def priority(cls) -> float:  # not viable for auto-selection; only installed explicitly
        raise RuntimeError("test keyring: install it with keyring.set_keyring")

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


class JsonFileKeyring(MemoryKeyring):
    """Keeps passwords in the JSON file named by $GSMILE_TEST_KEYRING_FILE, so a `gsmile` run in a
    subprocess (selected with PYTHON_KEYRING_BACKEND=fakes.keyrings.JsonFileKeyring) and the test
    see the same store."""

    @classproperty
    def priority(cls) -> float:  # viable only in a process set up for it
        import os

        if not os.environ.get("GSMILE_TEST_KEYRING_FILE"):
            raise RuntimeError("GSMILE_TEST_KEYRING_FILE is not set")
        return 1.0

    def __init__(self) -> None:
        super().__init__()
        import os

        self.path = Path(os.environ["GSMILE_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        import json

        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        import json

        data = self._load()
        data[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        import json

        data = self._load()
        if f"{service}/{username}" not in data:
            raise PasswordDeleteError("not found")
        del data[f"{service}/{username}"]
        self.path.write_text(json.dumps(data))
