"""The `function` backend: any Python callable `str -> str`, sync or async, as the model under audit.

A data scientist explains their own pipeline (a prompt template around an SDK call, a RAG chain, a
classifier that answers in words) without writing a backend class. The call engine treats it like
any other backend: the same concurrency limit, budget, retries of `BackendError`s, cache and audit.

- A coroutine function is awaited on the run's event loop; a plain function runs on a worker
  thread, at most `concurrency` at a time (pass `concurrency=1` for a function that is not
  thread-safe).
- Its cache identity is `name` if given, else the function's qualified name plus a digest of its
  code (for a `functools.partial`, of the wrapped function's and of the bound arguments' repr),
  so redefining the function in a notebook does not reuse the old function's answers. A
  function that reads outside state (a global, a closure variable, a remote model) should get an
  explicit `name` that changes when its behaviour does, or run with `cache=False`.
- An exception raised by the function stops the run with one line naming the function, the
  exception and the prompt; raise `gsmile_core.errors.BackendError(kind="server")` yourself for a
  fault that is worth retrying.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import BackendError
from ..sanitize import one_line
from ..types import Generation, GenerationParams


def _is_async(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))


def function_identity(function: Callable[..., Any]) -> str:
    """`module.qualname@digest`: the digest covers the function's bytecode and constants. A
    `functools.partial` is named by the function it wraps plus a digest of its bound arguments
    (every partial is the same type: by its own name two of them would share cached answers)."""
    if isinstance(function, functools.partial):
        bound = repr((function.args, sorted(function.keywords.items()))).encode("utf-8", "replace")
        return f"{function_identity(function.func)}+partial@{hashlib.sha256(bound).hexdigest()[:12]}"
    target = function if inspect.isfunction(function) or inspect.ismethod(function) else type(function).__call__
    name = f"{getattr(function, '__module__', None) or 'callable'}.{getattr(function, '__qualname__', type(function).__qualname__)}"
    code = getattr(target, "__code__", None)
    if code is None:
        return name
    digest = hashlib.sha256(code.co_code + repr(code.co_consts).encode("utf-8", "replace")).hexdigest()[:12]
    return f"{name}@{digest}"


class FunctionBackend:
    """A Python callable behind the backend protocol."""

    name = "function"

    def __init__(self, function: Callable[[str], Any], *, name: str | None = None) -> None:
        if not callable(function):
            raise TypeError(f"a function backend needs a callable, got {type(function).__name__}")
        self.function = function
        self.model = name or function_identity(function)
        self.is_async = _is_async(function)
        self.calls = 0

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        self.calls += 1
        try:
            if self.is_async:
                result = await self.function(prompt)
            else:
                result = await asyncio.to_thread(self.function, prompt)
        except BackendError:
            raise
        except Exception as error:
            raise BackendError(
                f"the function {self.model} raised {type(error).__name__}: {one_line(str(error), 200)} "
                f"(prompt {one_line(prompt, 60)!r})",
                kind="bad_request",
            ) from None
        if not isinstance(result, str):
            raise BackendError(
                f"the function {self.model} returned {type(result).__name__}, not str "
                f"(prompt {one_line(prompt, 60)!r})",
                kind="bad_request",
            )
        return Generation(text=result, model=self.model, finish_reason="stop")

    async def aclose(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "function": self.model, "async": self.is_async}
