"""--answer-span: explain what drives one part of a long answer, on a black box whose answer has
independent parts (each driven by its own words)."""

from __future__ import annotations

import pytest

from gsmile_core import explain
from gsmile_core.errors import ConfigError
from gsmile_core.method.answer_span import best_matching_parts, candidates, check_span

PROMPT = "Tell me about the doctor and the ocean and the weather in the city today"
MEDICAL = "The doctor examined the patient and prescribed medicine at the hospital."
SEA = "The ocean is a vast body of salt water with waves, fish and whales."
WEATHER = "The weather today is rainy with clouds and a cold wind."


def test_each_part_of_the_answer_is_driven_by_its_own_word():
    """The fake black box answers one sentence per trigger word: explaining each sentence as the
    span ranks its own trigger first, while the whole answer mixes all three."""
    for span, word in ((MEDICAL, "doctor"), (SEA, "ocean"), (WEATHER, "weather")):
        explanation = explain(PROMPT, "fake", cache=False, perturbations=64, answer_span=span, ci_resamples=0)
        assert explanation.ranked()[0][0].text == word, span
        assert explanation.extras["answer_span"]["span"] == span
        assert explanation.original_output.count(".") == 3  # the whole answer is kept as the answer
        assert explanation.perturbations[0].output_distance == pytest.approx(0.0, abs=1e-9)


def test_a_span_not_in_the_original_answer_is_one_clear_error():
    with pytest.raises(ConfigError, match="is not in the original answer"):
        explain(PROMPT, "fake", cache=False, perturbations=8, answer_span="Penguins live in Antarctica.")


def test_a_span_present_verbatim_matches_itself_and_others_take_the_closest_part():
    answers = [f"{MEDICAL} {SEA}", SEA, "Physicians treat sick patients in clinics. Whales swim."]
    overlap = lambda a, b: 1.0 - len(set(a.lower().split()) & set(b.lower().split())) / len(set(a.lower().split()))
    parts = best_matching_parts(MEDICAL, answers, overlap)
    assert parts[0] == MEDICAL
    assert parts[2] == "Physicians treat sick patients in clinics."
    assert check_span("  the OCEAN is a vast body of salt water with waves, fish and whales. ", SEA)
    assert len(candidates(" ".join(["word"] * 5000), 10)) <= 402  # bounded: sentences + at most 400 windows


def test_an_answer_is_plain_text_whatever_brackets_it_holds():
    """`[[` marks a protected span in a prompt, not in an answer: an answer with an unclosed
    `[[` (a model may write anything) is matched like any other text."""
    answer = "Use [[double brackets for wiki links. Then save the page."
    parts = candidates(answer, span_words=3)
    assert "Use [[double brackets for wiki links." in parts and "Then save the page." in parts
