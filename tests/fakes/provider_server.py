"""A fake LLM provider on 127.0.0.1 that the real SDK clients talk to over real HTTP.

Why a real server: the current openai/anthropic SDKs use their own HTTP transport, so
respx-style interception does not see their requests; a socket server does, and it also exercises
connection pooling, timeouts and connection resets exactly as production would.

It speaks four wire formats, all under /v1:
- OpenAI chat completions       POST /v1/chat/completions   (also Together and OpenAI-compatible)
- OpenAI legacy completions     POST /v1/completions
- Anthropic messages            POST /v1/messages

Answers are deterministic, derived from the prompt by the rules of gSMILE's `fake` backend, so
an explanation through this server can be predicted. Faults are scripted per request number
(1-based, counted over all requests) or per prompt (consumed in order, one per request with that
prompt; later requests succeed). The server counts requests (total and per prompt) and tracks the
peak number of requests being handled at once.

Use as a context manager or through the `provider_server` pytest fixture (tests/conftest.py):

    with FakeProviderServer(latency=0.05) as server:
        server.fail_prompt("hello", Fault.http(429, retry_after=2))
        client = openai.AsyncOpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from gsmile_core.backends.fake import DEFAULT_ANSWER, DEFAULT_RULES

FAULT_KINDS = ("status", "slow", "malformed", "empty", "wrong_shape", "reset", "html", "truncated", "answer")


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour.

    kind: status (HTTP error `status`, with optional Retry-After), slow (answer after `delay`
    seconds, for client timeouts), malformed (200 with broken JSON), empty (200, empty body),
    wrong_shape (200, valid JSON of the wrong shape), reset (TCP reset, no response),
    html (200 with an HTML page, as a misconfigured proxy would send), truncated (200 whose body
    stops half-way and the connection closes), answer (200, a well-formed answer whose text is
    `text`, whatever was asked: a hostile or buggy provider's 1 MB, or terminal escapes).
    """

    kind: str
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    code: str | None = None  # the error code in the body (e.g. insufficient_quota)
    message: str | None = None  # the error message in the body
    text: str | None = None  # the answer sent by an `answer` fault

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @classmethod
    def http(cls, status: int, retry_after: float | str | None = None, *, code: str | None = None,
             message: str | None = None) -> Fault:
        value = None if retry_after is None else str(retry_after)
        return cls("status", status=status, retry_after=value, code=code, message=message)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        return cls("slow", delay=delay)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def empty(cls) -> Fault:
        return cls("empty")

    @classmethod
    def wrong_shape(cls) -> Fault:
        return cls("wrong_shape")

    @classmethod
    def reset(cls) -> Fault:
        return cls("reset")

    @classmethod
    def html(cls) -> Fault:
        return cls("html")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def answer(cls, text: str) -> Fault:
        return cls("answer", text=text)


@dataclass
class RecordedRequest:
    """What the server saw (for asserting identical parameters and headers)."""

    number: int
    path: str
    prompt: str | None
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # the URL's query string


def rule_answer(prompt: str) -> str:
    """The deterministic answer: the `fake` backend's rules applied to the prompt's words."""
    import re

    words = [re.sub(r"[^\w]", "", w.lower()) for w in prompt.split()]
    parts = [DEFAULT_RULES[w] for w in words if w in DEFAULT_RULES]
    return " ".join(parts) if parts else DEFAULT_ANSWER


def _content_text(content: Any) -> str:
    """A message's text whether it is a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict)
        )
    return ""


def extract_prompt(path: str, body: Any) -> str | None:
    """The user's prompt in a request body of any supported wire format."""
    if not isinstance(body, dict):
        return None
    if path.endswith("/completions") and not path.endswith("/chat/completions"):
        prompt = body.get("prompt")
        if isinstance(prompt, list):
            prompt = prompt[0] if prompt else ""
        return prompt if isinstance(prompt, str) else None
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _content_text(message.get("content"))
    return None


class FakeProviderServer:
    """The fake provider. Thread-safe counters; start/stop or use `with`."""

    MODEL_SUFFIX = "-fake-2026-01-01"
    FINGERPRINT = "fp_fake_0001"

    def __init__(self, *, latency: float = 0.0, host: str = "127.0.0.1", record: int = 2000,
                 expected_key: str | None = None) -> None:
        self.latency = latency
        self.host = host
        self.expected_key = expected_key
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._request_faults: dict[int, Fault] = {}
        self._prompt_faults: dict[str, deque[Fault]] = {}
        self._prompt_latency: dict[str, float] = {}
        self.total_requests = 0
        self.completed_requests = 0
        self.per_prompt: Counter[str] = Counter()
        self.per_path: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_concurrency = 0
        self.requests: deque[RecordedRequest] = deque(maxlen=record)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeProviderServer:
        server = self

        class Handler(_Handler):
            provider = server

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = 128  # many clients connect at once in load tests
            allow_reuse_address = True

        self._httpd = Server((self.host, 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="fake-provider", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Root URL: the base URL for the anthropic and together SDKs (they add /v1/...)."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """Base URL for the openai SDK and OpenAI-compatible clients (they add /chat/...)."""
        return f"{self.url}/v1"

    # -- scripting -------------------------------------------------------------------------------
    def fail_request(self, number: int, fault: Fault) -> None:
        """Request number `number` (1-based, over all requests) gets `fault`."""
        with self._lock:
            self._request_faults[number] = fault

    def fail_prompt(self, prompt: str, *faults: Fault) -> None:
        """The next requests carrying exactly `prompt` get `faults`, one each, in order."""
        with self._lock:
            self._prompt_faults.setdefault(prompt, deque()).extend(faults)

    def fail_prompt_always(self, prompt: str, fault: Fault, times: int = 1000) -> None:
        self.fail_prompt(prompt, *([fault] * times))

    def set_prompt_latency(self, prompt: str, seconds: float) -> None:
        with self._lock:
            self._prompt_latency[prompt] = seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._request_faults.clear()
            self._prompt_faults.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.total_requests = 0
            self.completed_requests = 0
            self.per_prompt.clear()
            self.per_path.clear()
            self.peak_concurrency = self.in_flight
            self.requests.clear()

    # -- used by the handler ---------------------------------------------------------------------
    def _admit(self, path: str, prompt: str | None, body: Any, headers: dict[str, str],
               query: dict[str, str] | None = None) -> tuple[int, Fault | None, float]:
        with self._lock:
            self.total_requests += 1
            number = self.total_requests
            self.per_path[path] += 1
            if prompt is not None:
                self.per_prompt[prompt] += 1
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)
            self.requests.append(RecordedRequest(number, path, prompt, body if isinstance(body, dict) else None,
                                                 headers, dict(query or {})))
            fault = self._request_faults.pop(number, None)
            if fault is None and prompt is not None:
                queue = self._prompt_faults.get(prompt)
                if queue:
                    fault = queue.popleft()
            latency = self._prompt_latency.get(prompt or "", self.latency)
        return number, fault, latency

    def _leave(self, completed: bool) -> None:
        with self._lock:
            self.in_flight -= 1
            if completed:
                self.completed_requests += 1

    def sleep(self, seconds: float) -> None:
        """Sleep that ends early when the server stops (so stop() never waits on a slow fault)."""
        if seconds > 0:
            self._stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    provider: FakeProviderServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real providers

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # -- helpers ---------------------------------------------------------------------------------
    def _send(self, status: int, payload: bytes, content_type: str = "application/json",
              extra: Iterable[tuple[str, str]] = ()) -> None:
        self._settle()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_json(self, status: int, data: Any, extra: Iterable[tuple[str, str]] = ()) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), extra=extra)

    def _reset(self) -> None:
        """Abort the TCP connection with RST: the client sees 'connection reset by peer'."""
        self._settle()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _truncated(self) -> None:
        """Promise a full body, send half of it, close: the client's read fails mid-body."""
        self._settle()
        payload = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"index": 0, "mess'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) * 2))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _error_body(self, path: str, status: int, fault: Fault | None = None) -> dict[str, Any]:
        message = (fault.message if fault else None) or f"fake provider error {status}"
        if path.endswith("/messages"):
            kinds = {400: "invalid_request_error", 401: "authentication_error",
                     403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
                     500: "api_error", 503: "api_error", 529: "overloaded_error"}
            kind = (fault.code if fault else None) or kinds.get(status, "api_error")
            return {"type": "error", "error": {"type": kind, "message": message}}
        kinds = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
        code = (fault.code if fault else None) or kinds.get(status, "server_error")
        return {"error": {"message": message, "type": "fake_error", "param": None, "code": code}}

    # -- request handling ------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        if self.path.partition("?")[0].rstrip("/").endswith("/v1/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        provider = self.provider
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        path, _, query = self.path.partition("?")
        prompt = extract_prompt(path, body)
        headers = {k.lower(): v for k, v in self.headers.items()}
        number, fault, latency = provider._admit(path, prompt, body, headers, dict(parse_qsl(query)))
        self._settled, self._completed = False, False
        try:
            provider.sleep(latency)
            self._respond(path, body, prompt, fault, headers)
        finally:
            self._settle()

    def _settle(self) -> None:
        """Leave the in-flight count (once) just BEFORE the last bytes go out, so a client that
        has its answer always sees counters that already include it."""
        if not getattr(self, "_settled", True):
            self._settled = True
            self.provider._leave(self._completed)

    def _respond(self, path: str, body: Any, prompt: str | None, fault: Fault | None,
                 headers: dict[str, str]) -> bool:
        provider = self.provider
        if path not in ("/v1/chat/completions", "/v1/completions", "/v1/messages"):
            self._send_json(404, self._error_body(path, 404))
            return False
        if provider.expected_key is not None:
            presented = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
            if presented != provider.expected_key:
                self._send_json(401, self._error_body(path, 401))
                return False
        if fault is not None:
            if fault.kind == "status":
                extra = [("Retry-After", fault.retry_after)] if fault.retry_after is not None else []
                self._send_json(fault.status, self._error_body(path, fault.status, fault), extra)
                return False
            if fault.kind == "reset":
                self._reset()
                return False
            if fault.kind == "malformed":
                self._send(200, b'{"id": "x", "choices": [{"message": ')
                return False
            if fault.kind == "empty":
                self._send(200, b"")
                return False
            if fault.kind == "wrong_shape":
                self._send_json(200, {"result": "ok", "data": [1, 2, 3]})
                return False
            if fault.kind == "truncated":
                self._truncated()
                return False
            if fault.kind == "html":
                self._send(200, b"<html><body>Bad gateway</body></html>", "text/html")
                return False
            if fault.kind == "slow":
                provider.sleep(fault.delay)
        if not isinstance(body, dict) or prompt is None:
            self._send_json(400, self._error_body(path, 400))
            return False
        forced = fault.text if fault is not None and fault.kind == "answer" else None
        payload = self._success(path, body, prompt, forced)
        self._completed = True
        self._send_json(200, payload)
        return True

    def _success(self, path: str, body: dict[str, Any], prompt: str, forced: str | None = None) -> dict[str, Any]:
        provider = self.provider
        words = rule_answer(prompt).split()
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        finish = "stop"
        if isinstance(max_tokens, int) and 0 < max_tokens < len(words):
            words, finish = words[:max_tokens], "length"
        text = " ".join(words)
        if forced is not None:  # sent as is, --max-tokens or not (a provider bug)
            text, words = forced, forced.split()
        model = f"{body.get('model', 'unknown')}{provider.MODEL_SUFFIX}"
        prompt_tokens, completion_tokens = len(prompt.split()), len(words)
        created = int(time.time())
        if path == "/v1/messages":
            return {
                "id": f"msg_fake_{created}", "type": "message", "role": "assistant",
                "model": model, "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn" if finish == "stop" else "max_tokens",
                "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
            }
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        if path == "/v1/completions":
            return {
                "id": f"cmpl-fake-{created}", "object": "text_completion", "created": created,
                "model": model, "system_fingerprint": provider.FINGERPRINT,
                "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
                "usage": usage,
            }
        return {
            "id": f"chatcmpl-fake-{created}", "object": "chat.completion", "created": created,
            "model": model, "system_fingerprint": provider.FINGERPRINT,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }


if __name__ == "__main__":  # manual runs: python tests/fakes/provider_server.py
    with FakeProviderServer() as running:
        print(f"fake provider on {running.url} (openai base URL {running.openai_base_url}); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
