"""What the engine accepts: a provider's 1 MB answer to a 48-token request is cut, with one
warning, before anything else sees it, and so is one read back from the cache (written by an
older version or by hand); escapes planted in the cache are removed on read. Over real HTTP, the
real openai SDK against the fake provider; the cache is a real sqlite file written behind
gSMILE's back."""

from __future__ import annotations

import json
import sqlite3

from fakes import Fault

from gsmile_core.backends import create_backend
from gsmile_core.calls.cache import CACHE_FILE, ResponseCache
from gsmile_core.calls.engine import CallEngine
from gsmile_core.calls.jobs import CallJob
from gsmile_core.calls.limits import MAX_CHARS_PER_TOKEN, within_limit
from gsmile_core.events import Notice
from gsmile_core.types import GenerationParams

MEGABYTE_OF_WORDS = "spam " * 209_715  # 1 MiB, 209,715 words
MEGABYTE_WORD = "x" * 1_048_576  # 1 MiB without a space
PARAMS = GenerationParams(max_tokens=48)


def compatible(server):
    return create_backend("openai-compatible", model="m", base_url=server.openai_base_url)


def warnings_of(events):
    return [e.message for e in events if isinstance(e, Notice) and e.level == "warning"]


def test_within_limit_keeps_max_tokens_words_and_bounds_characters():
    assert within_limit("one two  three four", 2) == "one two"
    assert within_limit("one two", 5) == "one two"
    assert within_limit("  leading space kept", 2) == "  leading space"
    assert within_limit(MEGABYTE_WORD, 48) == "x" * (48 * MAX_CHARS_PER_TOKEN)


async def test_a_one_megabyte_answer_over_http_is_cut_and_said_once(provider_server, tmp_path):
    for prompt in ("the ocean", "the doctor"):
        provider_server.fail_prompt(prompt, Fault.answer(MEGABYTE_OF_WORDS))
    provider_server.fail_prompt("the weather", Fault.answer(MEGABYTE_WORD))
    backend, events = compatible(provider_server), []
    cache = ResponseCache(tmp_path)
    engine = CallEngine(backend, PARAMS, cache=cache, on_event=events.append)
    try:
        answers, _ = await engine.generate_all(["the ocean", "the doctor", "the weather", "the recipe"])
    finally:
        await backend.aclose()
    assert answers["the ocean"].text.split() == ["spam"] * 48
    assert answers["the doctor"].text.split() == ["spam"] * 48
    assert len(answers["the weather"].text) == 48 * MAX_CHARS_PER_TOKEN
    assert answers["the recipe"].text.startswith("A recipe lists")  # an honest answer is untouched
    said = warnings_of(events)
    assert len(said) == 1, said
    assert said[0].startswith("openai-compatible model m sent an answer of 1,048,5")
    assert "more than --max-tokens 48 allows" in said[0]
    # what the cache holds is the cut answer: a rerun never sees the megabyte again
    stored = cache.get(engine.key_for(CallJob("the ocean")))
    assert stored is not None and stored.text == answers["the ocean"].text
    cache.close()


def plant(cache_dir, key: str, text: str, **fields) -> None:
    """Write one answer straight into the sqlite file, as an older version or a hand edit could."""
    value = json.dumps({"text": text, "model": "m", "finish_reason": "stop", **fields})
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        db.execute("INSERT OR REPLACE INTO responses (key, provider, model, created, value) VALUES (?, ?, ?, 0, ?)",
                   (key, "openai-compatible", "m", value))


async def test_a_huge_answer_planted_in_the_cache_is_cut_on_read(provider_server, tmp_path):
    ResponseCache(tmp_path).close()
    backend, events = compatible(provider_server), []
    cache = ResponseCache(tmp_path)
    engine = CallEngine(backend, PARAMS, cache=cache, on_event=events.append)
    plant(tmp_path, engine.key_for(CallJob("the ocean")), MEGABYTE_OF_WORDS)
    try:
        answers, stats = await engine.generate_all(["the ocean"])
    finally:
        await backend.aclose()
        cache.close()
    assert stats.cache_hits == 1 and provider_server.total_requests == 0
    assert answers["the ocean"].text.split() == ["spam"] * 48
    said = warnings_of(events)
    assert len(said) == 1 and said[0].startswith("the response cache holds an answer of 1,048,575 characters")


async def test_escapes_planted_in_the_cache_are_removed_on_read(provider_server, tmp_path):
    ResponseCache(tmp_path).close()
    backend = compatible(provider_server)
    cache = ResponseCache(tmp_path)
    engine = CallEngine(backend, PARAMS, cache=cache)
    hostile = "fine\x1b]0;pwned title\x07 words\x1b[2J\x1b[H here\x9b31m"
    plant(tmp_path, engine.key_for(CallJob("the ocean")), hostile,
          model="m\x1b]0;t\x07", fingerprint="fp\x1b[2J", prompt_tokens="many")
    try:
        answers, _ = await engine.generate_all(["the ocean"])
    finally:
        await backend.aclose()
        cache.close()
    answer = answers["the ocean"]
    assert answer.text == "fine words here"
    assert answer.model == "m" and answer.fingerprint == "fp" and answer.prompt_tokens is None
