"""The exceptions the core raises on purpose.

Every one carries a message written for the user: front ends print `str(error)` as one line and
never a traceback. Anything else escaping the core is a bug.
"""

from __future__ import annotations

from collections.abc import Callable


class GsmileError(Exception):
    """Base of every error gSMILE reports to the user in one line."""


class ConfigError(GsmileError, ValueError):
    """A setting or an input (prompt, option value) is not acceptable.

    `field` names the `ExplainConfig` field at fault (None for other inputs). A message may hold
    `{setting}` where the setting is named: each front end names it its own way (`render`): the
    CLI as its flag (`--max-tokens`), the TUI as its form label; plain `str()` uses the field name,
    as a Python caller wrote it (`max_tokens`).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.template = message
        self.field = field
        super().__init__(self.render())

    def render(self, name_of: Callable[[str], str] | None = None) -> str:
        """The message with the setting named by `name_of(field)` (default: the field itself)."""
        if self.field is None or "{setting}" not in self.template:
            return self.template
        return self.template.replace("{setting}", (name_of or str)(self.field))


class BackendError(GsmileError):
    """The model under audit could not answer.

    `kind` classifies the failure (auth, rate_limit, server, timeout, bad_response, connection,
    unavailable, context_length) so the call engine can decide to retry or stop.
    """

    def __init__(self, message: str, *, kind: str = "server", retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in {"rate_limit", "server", "timeout", "connection", "bad_response"}


class ResourceError(GsmileError):
    """A bundled resource (model weights, word vectors) is missing or unreadable."""


class Cancelled(GsmileError):
    """The run was cancelled by the user; finished work is kept."""


class ModelError(ConfigError):
    """A model the user handed in (a classifier, a tabular model or its file) cannot be used: it
    raised, returned NaN or the wrong shape, or its file is refused. Bad input: exit code 2."""
