"""Features keep offsets; masks keep order, are unique, never empty, and equal the text sent."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsmile_core.errors import ConfigError
from gsmile_core.method.perturb import make_masks
from gsmile_core.method.segment import apply_mask, split_words


def test_words_have_offsets_and_keep_punctuation():
    prompt = "What is the meaning of life?"
    features = split_words(prompt)
    assert [f.text for f in features] == ["What", "is", "the", "meaning", "of", "life?"]
    for f in features:
        assert prompt[f.start : f.end] == f.text


def test_repeated_word_is_two_features():
    features = split_words("the cat saw the dog")
    assert [f.text for f in features].count("the") == 2
    assert features[0].start != features[3].start


def test_apply_mask_keeps_order_and_spacing():
    prompt = "one two\nthree  four"
    features = split_words(prompt)
    assert apply_mask(prompt, features, (1, 1, 1, 1)) == prompt
    assert apply_mask(prompt, features, (1, 0, 1, 1)) == "one\nthree  four"
    assert apply_mask(prompt, features, (0, 1, 0, 1)) == "two  four"
    assert apply_mask(prompt, features, (0, 0, 0, 1)) == "four"


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcxyz?!", min_size=1, max_size=5), min_size=1, max_size=9),
    data=st.data(),
)
def test_mask_text_is_exactly_the_kept_words_in_order(words, data):
    prompt = " ".join(words)
    features = split_words(prompt)
    mask = tuple(data.draw(st.lists(st.integers(0, 1), min_size=len(features), max_size=len(features))))
    text = apply_mask(prompt, features, mask)
    assert text.split() == [w for w, keep in zip(words, mask) if keep]


@pytest.mark.parametrize("sampler,extra", [("bernoulli", {}), ("uniform-count", {}), ("local", {"max_removed": 2})])
def test_sampled_masks_unique_nonempty_original_first(sampler, extra):
    masks, enumerated = make_masks(14, 64, sampler=sampler, seed=3, **extra)
    assert not enumerated
    assert len(masks) == 64
    assert masks[0] == (1,) * 14
    assert len(set(masks)) == 64
    assert all(any(m) for m in masks)
    if sampler == "local":
        assert all(14 - sum(m) <= 2 for m in masks)


def test_masks_are_seeded():
    assert make_masks(10, 32, seed=1) == make_masks(10, 32, seed=1)
    assert make_masks(10, 32, seed=1) != make_masks(10, 32, seed=2)


def test_small_prompt_is_enumerated():
    masks, enumerated = make_masks(6, 64)
    assert enumerated
    assert len(masks) == 2**6 - 1  # every non-empty mask, the original included
    assert set(masks) == {m for m in itertools.product((0, 1), repeat=6) if any(m)}
    assert masks[0] == (1,) * 6


def test_local_sampler_enumerates_its_support():
    masks, enumerated = make_masks(8, 64, sampler="local", max_removed=1)
    assert enumerated and len(masks) == 9


def test_one_word_prompt_has_only_the_original():
    masks, enumerated = make_masks(1, 64)
    assert masks == ((1,),) and enumerated


def test_local_sampler_needs_max_removed():
    with pytest.raises(ConfigError):
        make_masks(5, 10, sampler="local")
