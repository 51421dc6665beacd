"""WMD against POT, gensim's wmdistance and closed forms; empty bags are defined, never inf."""

import math

import numpy as np
import ot
import pytest

from gsmile_core.method.distances import wasserstein_p, wmd
from gsmile_core.method.embed import get_embedder, glove_keyed_vectors, normalise_tokens


@pytest.fixture(scope="module")
def glove():
    return get_embedder("glove")


def test_tokens_are_normalised():
    assert normalise_tokens("What is the Meaning of LIFE?!") == ["what", "is", "the", "meaning", "of", "life"]


def test_point_masses_closed_form():
    x = np.array([[0.0, 0.0]])
    y = np.array([[3.0, 4.0]])
    assert wasserstein_p(x, y, 1) == pytest.approx(5.0)
    assert wasserstein_p(x, y, 2) == pytest.approx(5.0)


def test_matches_pot_for_p2():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 5)), rng.normal(size=(4, 5))
    expected = math.sqrt(ot.emd2(np.full(7, 1 / 7), np.full(4, 1 / 4), ot.dist(x, y)))
    assert wasserstein_p(x, y, 2) == pytest.approx(expected, rel=1e-9)


def test_text_with_itself_is_zero(glove):
    e = glove.embed("The meaning of life is a question for philosophers.")
    assert wmd(e, e, 1.0) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "first,second",
    [
        ("Obama speaks to the media in Illinois", "The president greets the press in Chicago"),
        ("The meaning of life is a question for philosophers.", "Life has no meaning at all, said the doctor."),
        ("rainy weather today", "the the the sunny ocean"),
    ],
)
def test_p1_agrees_with_gensim_wmdistance(glove, first, second):
    kv = glove_keyed_vectors()
    ours = wmd(glove.embed(first), glove.embed(second), 1.0)
    # gensim unit-normalises vectors by default; our WMD uses the raw vectors.
    theirs = kv.wmdistance(normalise_tokens(first), normalise_tokens(second), norm=False)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_out_of_vocabulary_tokens_are_skipped_and_counted(glove):
    e = glove.embed("life qzxqzxqzx meaning")
    assert e.tokens == ("life", "meaning")
    assert e.out_of_vocabulary == ("qzxqzxqzx",)


def test_empty_bags_have_a_defined_distance(glove):
    empty = glove.embed("qzxqzxqzx ???")
    full = glove.embed("life")
    assert empty.empty
    assert wmd(empty, empty, 1.0) == 0.0
    expected = float(np.linalg.norm(full.vectors[0]))
    assert wmd(empty, full, 1.0) == pytest.approx(expected)
    assert math.isfinite(wmd(full, empty, 2.0))
