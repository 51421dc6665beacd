"""Sentence -> word drill-down on a long document: the causal sentences first, then the causal
words inside them, with the rest of the prompt never removed at the word level."""

from __future__ import annotations

import asyncio

import pytest
from fakes.documents import long_document

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.config import ExplainConfig
from gsmile_core.drill_down import drilled, explain_drill_down
from gsmile_core.errors import ConfigError
from gsmile_core.method.segment import apply_mask
from gsmile_core.calls.context import RunContext



def test_the_causal_sentences_then_the_causal_words_rank_first(tmp_path):
    document, causal = long_document()
    backend = FakeBackend()
    config = ExplainConfig(perturbations=256, bootstrap=0, ci_resamples=0)
    with ResponseCache(tmp_path) as cache:
        coarse = asyncio.run(explain_drill_down(document, backend, config, 2, run=RunContext(cache=cache)))
    assert sorted(f.index for f, _ in coarse.ranked()[:2]) == causal
    units, fine = drilled(coarse)
    assert units == causal and fine.features[0].level == "word"
    inside = [(coarse.features[i].start, coarse.features[i].end) for i in units]
    assert all(any(a <= f.start and f.end <= b for a, b in inside) for f in fine.features)
    assert {f.text for f, _ in fine.ranked()[:2]} == {"doctor", "ocean"}
    for p in fine.perturbations[:20]:  # every other sentence is sent whole
        assert p.prompt == apply_mask(fine.prompt, fine.features, p.mask)
        assert coarse.features[0].text in p.prompt and coarse.features[-1].text in p.prompt
    # the original prompt is asked once for both levels
    assert backend.calls == coarse.model_calls + fine.model_calls


def test_a_drill_down_deeper_than_the_units_is_refused():
    with pytest.raises(ConfigError, match="more than the 4 sentences"):
        asyncio.run(explain_drill_down(
            "One sentence here. Another one there. A third one now." + " filler" * 120,
            FakeBackend(), ExplainConfig(perturbations=16, bootstrap=0, unit="sentence"), 5))
