"""Name → factory registries, so every swappable part is chosen by a lookup, not an `if` chain.

`--sampler local`, `--surrogate bayes`, `--backend openai` all resolve through a `Registry`.
An unknown name raises a `ConfigError` that lists the known ones.

A part can be *declared* before its code is loaded: `declare(name, module, help)` makes the name
known (for `--help`, for validating a config) and imports `module` only when the part is first
asked for; that module then registers the implementation. So the registry never imports the
modules that register into it (no import loops), and listing names costs no heavy import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of factories for one kind of part."""

    def __init__(self, kind: str, field: str | None = None) -> None:
        self.kind = kind
        self.field = field  # the setting that names a part of this kind (ConfigError.field)
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}
        self._modules: dict[str, str] = {}

    def declare(self, name: str, module: str, help: str = "") -> None:
        """Make `name` known now; `module` (dotted) registers it when first imported."""
        self._modules[name] = module
        self._help[name] = help

    def register(self, name: str, help: str = "") -> Callable[[T], T]:
        def decorator(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            if help or name not in self._help:
                self._help[name] = help
            return item

        return decorator

    def get(self, name: str) -> T:
        if name not in self._items and name in self._modules:
            importlib.import_module(self._modules[name])
        try:
            return self._items[name]
        except KeyError:
            raise self._unknown(name) from None

    def require(self, name: str) -> str:
        """`name` if it is known (declared or registered, nothing imported), else the ConfigError
        `get` raises."""
        if name not in self:
            raise self._unknown(name)
        return name

    def _unknown(self, name: str) -> ConfigError:
        known = ", ".join(self.names())
        return ConfigError(f"unknown {self.kind} {name!r} (known: {known})", field=self.field)

    def names(self) -> list[str]:
        return sorted(set(self._items) | set(self._modules))

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._modules
