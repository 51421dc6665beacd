"""Turning whatever an SDK call raised into one classified, one-line `BackendError`.

The call engine retries on `BackendError.kind` and waits `retry_after`, so every SDK exception,
and every answer that is not what the wire format promises (malformed JSON, an empty body, valid
JSON of the wrong shape, an HTML page from a proxy), must become exactly one of: auth,
rate_limit, quota, server, timeout, connection, bad_response, bad_request, context_length,
unavailable.

Messages are written here, not copied from the SDK: SDK messages can embed the raw response body,
and a provider's 401 text can echo part of the key. The provider's own error text is included
only for request errors, scrubbed of anything shaped like a key. The three official SDKs share
exception names (APIStatusError, APITimeoutError, APIConnectionError, APIResponseValidationError),
so one function serves them all, given the SDK module.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone
from typing import Any

from ..errors import BackendError
from .secrets import Secret, scrub

_CONTEXT_WORDS = ("context length", "context_length", "maximum context", "too many tokens", "prompt is too long")


def parse_retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return max(float(millis) / 1000.0, 0.0)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = datetime.now(timezone.utc).timestamp() if now is None else now
        seconds = when.timestamp() - current
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(seconds, 0.0)


def _provider_message(error: Any) -> str:
    """The provider's own error text from a parsed error body, if any."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message")
            if isinstance(message, str):
                return message
        elif isinstance(inner, str):
            return inner
    return ""


def _error_code(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            for field in ("code", "type"):
                if isinstance(inner.get(field), str):
                    return inner[field]
    return ""


def classify(error: BaseException, sdk: Any, where: str, *, key_env: str | None,
             provider_name: str, timeout: float, secret: Secret | None = None) -> BackendError:
    """One `BackendError` for any exception an SDK call raised. `where` names the provider."""
    status_error = getattr(sdk, "APIStatusError", ())
    if isinstance(error, status_error):
        return _from_status(error, where, key_env=key_env, provider_name=provider_name, secret=secret)
    if isinstance(error, getattr(sdk, "APITimeoutError", ())):
        return BackendError(f"{where}: no answer within {timeout:g} s (timeout)", kind="timeout")
    if isinstance(error, getattr(sdk, "APIConnectionError", ())):
        cause = error.__cause__ or error.__context__
        reason = _connection_reason(cause)
        return BackendError(f"{where}: connection failed ({reason})", kind="connection")
    if isinstance(error, getattr(sdk, "APIResponseValidationError", ())):
        return BackendError(f"{where}: the response does not match the expected format", kind="bad_response")
    if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
        doc = getattr(error, "doc", "")
        what = "an empty body" if not str(doc).strip() else "malformed JSON"
        return BackendError(f"{where}: sent {what} instead of an answer", kind="bad_response")
    if isinstance(error, (ValueError, TypeError, KeyError, AttributeError, IndexError)):
        return BackendError(
            f"{where}: sent a response gSMILE cannot read ({type(error).__name__})", kind="bad_response"
        )
    return BackendError(f"{where}: the call failed unexpectedly ({type(error).__name__})", kind="connection")


def _connection_reason(cause: BaseException | None) -> str:
    """A short reason from the chain of low-level exceptions under the SDK's connection error."""
    chain: list[BaseException] = []
    while cause is not None and len(chain) < 6 and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if not chain:
        return "connection failed"
    text = " ".join(f"{type(c).__name__} {c}" for c in chain).lower()
    if "reset" in text or any(isinstance(c, ConnectionResetError) for c in chain):
        return "connection reset by the server"
    if "refused" in text or any(isinstance(c, ConnectionRefusedError) for c in chain):
        return "connection refused: is the server running at that address?"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        return "host name not found"
    if "ssl" in text or "certificate" in text:
        return "TLS/certificate problem"
    if "disconnected" in text or "closed" in text or "remoteprotocolerror" in text or "readerror" in text:
        return "the connection closed before a complete answer arrived"
    return type(chain[0]).__name__


def _from_status(error: Any, where: str, *, key_env: str | None, provider_name: str,
                 secret: Secret | None) -> BackendError:
    status = int(getattr(error, "status_code", 0) or 0)
    response = getattr(error, "response", None)
    retry_after = parse_retry_after(getattr(response, "headers", None))
    said = scrub(_provider_message(error), secret)[:200]
    detail = f": {said}" if said else ""
    if status in (401, 403):
        fix = f"check {key_env} or `gsmile keys set {provider_name}`" if key_env else "check the key"
        what = "rejected the API key" if status == 401 else "refused access (permission denied)"
        return BackendError(f"{where}: {what} ({status}); {fix}", kind="auth")
    if status == 429:
        code = _error_code(error)
        if code == "insufficient_quota":
            return BackendError(f"{where}: the account is out of quota (429 insufficient_quota)", kind="quota")
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return BackendError(f"{where}: rate limited (429){wait}", kind="rate_limit", retry_after=retry_after)
    if status == 408:
        return BackendError(f"{where}: the request timed out on the server (408)", kind="timeout", retry_after=retry_after)
    if status == 404:
        return BackendError(f"{where}: not found (404) — check --model and --base-url{detail}", kind="unavailable")
    if status in (400, 413, 422):
        kind = "context_length" if any(w in said.lower() for w in _CONTEXT_WORDS) else "bad_request"
        return BackendError(f"{where}: refused the request ({status}){detail}", kind=kind)
    if status == 409 or status >= 500:
        names = {500: "internal error", 502: "bad gateway", 503: "unavailable", 504: "gateway timeout",
                 529: "overloaded"}
        name = names.get(status, "server error")
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return BackendError(f"{where}: server {name} ({status}){wait}", kind="server", retry_after=retry_after)
    return BackendError(f"{where}: refused the request ({status}){detail}", kind="bad_request")
