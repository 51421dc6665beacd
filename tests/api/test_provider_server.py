"""The fake provider itself: counting, peak concurrency, scripted faults, quick shutdown.

Checked with plain stdlib HTTP (urllib) so these tests do not depend on any SDK.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from fakes import Fault, FakeProviderServer, rule_answer


def post(server: FakeProviderServer, path: str, body: dict, timeout: float = 10.0):
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer k"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, dict(response.headers), response.read()


def chat(prompt: str) -> dict:
    return {"model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": prompt}]}


def test_wire_formats(provider_server):
    _, _, raw = post(provider_server, "/v1/chat/completions", chat("ocean"))
    assert json.loads(raw)["choices"][0]["message"]["content"] == rule_answer("ocean")
    _, _, raw = post(provider_server, "/v1/completions", {"model": "m", "prompt": "math"})
    assert json.loads(raw)["choices"][0]["text"] == rule_answer("math")
    _, _, raw = post(provider_server, "/v1/messages", {"model": "m", "max_tokens": 5,
                                                      "messages": [{"role": "user", "content": [{"type": "text", "text": "recipe"}]}]})
    body = json.loads(raw)
    assert body["content"][0]["text"] == " ".join(rule_answer("recipe").split()[:5])
    assert body["stop_reason"] == "max_tokens"
    assert provider_server.per_prompt == {"ocean": 1, "math": 1, "recipe": 1}
    assert provider_server.total_requests == provider_server.completed_requests == 3


def test_faults_by_request_number_and_by_prompt(provider_server):
    provider_server.fail_request(2, Fault.http(503, retry_after=4))
    provider_server.fail_prompt("doctor", Fault.http(429, retry_after=1), Fault.http(500))
    assert post(provider_server, "/v1/chat/completions", chat("a"))[0] == 200
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(provider_server, "/v1/chat/completions", chat("b"))
    assert caught.value.code == 503 and caught.value.headers["Retry-After"] == "4"
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(provider_server, "/v1/chat/completions", chat("doctor"))
    assert caught.value.code == 429
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(provider_server, "/v1/chat/completions", chat("doctor"))
    assert caught.value.code == 500
    assert post(provider_server, "/v1/chat/completions", chat("doctor"))[0] == 200
    assert provider_server.per_prompt["doctor"] == 3
    assert provider_server.total_requests == 5 and provider_server.completed_requests == 2


def test_anthropic_error_body_shape(provider_server):
    provider_server.fail_prompt("x", Fault.http(529))
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(provider_server, "/v1/messages", {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})
    assert json.loads(caught.value.read())["error"]["type"] == "overloaded_error"


def test_peak_concurrency_and_latency(provider_server):
    provider_server.latency = 0.3
    threads = [threading.Thread(target=post, args=(provider_server, "/v1/chat/completions", chat(f"p{i}")))
               for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert provider_server.total_requests == 6
    assert 2 <= provider_server.peak_concurrency <= 6
    assert provider_server.in_flight == 0


def test_expected_key(provider_server):
    provider_server.expected_key = "right"
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(provider_server, "/v1/chat/completions", chat("x"))
    assert caught.value.code == 401


def test_stop_does_not_wait_for_a_slow_fault():
    server = FakeProviderServer().start()
    server.fail_prompt("slow", Fault.slow(60))
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(post(server, "/v1/chat/completions", chat("slow"), 30.0)[0])
        except Exception as error:  # the connection may also just close
            outcome.append(error)

    worker = threading.Thread(target=ask)
    worker.start()
    while server.in_flight == 0:
        time.sleep(0.01)
    server.stop()
    worker.join(timeout=20)
    assert not worker.is_alive() and len(outcome) == 1  # the 60 s fault was cut short by stop()


def test_unknown_fault_kind():
    with pytest.raises(ValueError):
        Fault("teapot")
