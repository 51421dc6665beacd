"""Planning the masks: `explain` plans off the event loop (a front end's cancel lands while a large
plan is made), `MaskedText` rebuilds exactly the text `apply_mask` defines, and the dry run of
many masks counts what is cached per prompt."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import MAX_PERTURBATIONS, ExplainConfig
from gsmile_core.method.segment import MaskedText, prepare_prompt, split_words
from gsmile_core.pipeline import explain

LONG_PROMPT = " ".join(f"word{i}" for i in range(26))


async def test_a_cancel_lands_while_explain_plans_a_large_run():
    backend = FakeBackend()
    task = asyncio.create_task(explain(LONG_PROMPT, backend, ExplainConfig(perturbations=MAX_PERTURBATIONS, bootstrap=0)))
    ticks = 0
    for _ in range(5):  # the loop keeps turning while the masks are planned in a thread
        await asyncio.sleep(0.01)
        ticks += 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ticks == 5 and backend.calls == 0  # cancelled before a single model call


WORDS = st.sampled_from(["a", "b,", "c.", "Hello!", "(q)", "so", "ends.", "l'eau", "—"])
GAPS = st.sampled_from([" ", "  ", "\n", "\n\n", "\t "])


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.tuples(WORDS, GAPS), min_size=1, max_size=16), data=st.data())
def test_masked_text_keeps_exactly_the_kept_words_never_glued(words, data):
    clean, features = prepare_prompt("".join(w + g for w, g in words), max_words=1000, unit="word")
    mask = tuple(data.draw(st.lists(st.integers(0, 1), min_size=len(features), max_size=len(features))))
    text = MaskedText(clean, features)(mask)
    # cut again into words, the text is the kept words in order: none lost, none glued to another
    assert [f.text for f in split_words(text)] == [f.text for f, keep in zip(features, mask) if keep]
    assert text == text.strip()
    if all(mask):
        assert text == clean
