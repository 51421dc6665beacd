"""The MiniLM embedder really run (int8 ONNX through onnxruntime, offline, no torch)."""

import subprocess
import sys

import numpy as np
import pytest

from gsmile_core.config import ExplainConfig
from gsmile_core.method.embed import get_embedder
from gsmile_core.method.parts import DISTANCES, EMBEDDERS
from gsmile_core.method.embed_minilm import DIMENSION, load_minilm


@pytest.fixture(scope="module")
def minilm():
    return get_embedder("minilm")


def test_registered_and_selectable():
    assert "minilm" in EMBEDDERS.names()
    assert ExplainConfig(embedder="minilm").embedder == "minilm"


def test_word_pieces_without_special_tokens(minilm):
    e = minilm.embed("The doctor said the ocean was calm.")
    assert e.tokens == ("the", "doctor", "said", "the", "ocean", "was", "calm", ".")
    assert e.vectors.shape == (8, DIMENSION)
    assert np.isfinite(e.vectors).all()
    assert "[CLS]" not in e.tokens and "[SEP]" not in e.tokens


def test_vectors_are_contextual(minilm):
    river = minilm.embed("we sat on the bank of the river")
    money = minilm.embed("she took a loan from the bank")
    a = river.vectors[river.tokens.index("bank")]
    b = money.vectors[money.tokens.index("bank")]
    assert not np.allclose(a, b, atol=1e-3)
    again = minilm.embed("we sat on the bank of the river")
    np.testing.assert_array_equal(river.vectors, again.vectors)  # deterministic


def test_mean_pooled_sentences_rank_meaning_like_sentence_transformers(minilm):
    """all-MiniLM-L6-v2's sentence vector is the normalised mean of these token vectors."""

    def sentence(text):
        e = minilm.embed(text)
        v = e.vectors.mean(axis=0)
        return v / np.linalg.norm(v)

    anchor = sentence("A man is playing a guitar.")
    close = sentence("Someone plays an acoustic guitar.")
    far = sentence("The stock market fell sharply on Monday.")
    assert anchor @ close > 0.5 > anchor @ far


def test_empty_and_unknown_texts_give_empty_clouds(minilm):
    assert minilm.embed("").empty
    e = minilm.embed("☃")
    assert e.empty and e.out_of_vocabulary == ("[UNK]",)
    assert DISTANCES.get("wmd")(e, minilm.embed(""), 1.0) == 0.0


def test_wmd_with_minilm_orders_answers_by_meaning(minilm):
    wmd = DISTANCES.get("wmd")
    original = minilm.embed("The capital of France is Paris.")
    similar = minilm.embed("Paris is the capital city of France.")
    other = minilm.embed("Bananas are rich in potassium.")
    assert wmd(original, similar, 1.0) < wmd(original, other, 1.0)


def test_loaded_once_per_process():
    assert load_minilm() is load_minilm()


def test_explain_cli_with_minilm_on_the_fake_backend():
    result = subprocess.run(
        [sys.executable, "-m", "gsmile_core", "explain", "meaning of life today", "--backend", "fake",
         "--embedder", "minilm", "--json", "-"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert '"embedder": "minilm"' in result.stdout
