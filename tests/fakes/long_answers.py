"""A black box that answers at length: about `words` words of English-like text per prompt.

Long answers (hundreds of words) are what made the answer-distance step and the p-values blow up
in memory and time (issue #10), so tests and benchmarks need them without a model. The words are
drawn from GloVe's vocabulary, which is sorted by frequency, with Zipf-like probabilities, so an
answer repeats its common words and has about as many distinct words as real text of its length
(700 words: ~400 distinct). Half of the words are common ones (the 2,000 most frequent); the
other half come from the topics of the prompt's words: a prompt word's topic is the 400 words
nearest to it in the word-vector space (cosine; "doctor" brings "physician", "hospital", ...),
drawn with a Zipf law, nearest first, as an answer about doctors uses medical words. Removing a
prompt word removes its topic, so answers vary with the prompt the way an explainer needs; each
answer is a fresh draw (as a model's answer to a changed prompt is a new text, not an edit of the
old one), and the same prompt always gets the same answer.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

COMMON = 2_000
TOPICAL = 30_000


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _zipf(size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1)
    return weights / weights.sum()


class LongAnswers:
    """`LongAnswers(vocabulary, words)(prompt)` -> a deterministic answer of `words` words."""

    def __init__(self, vocabulary: list[str], vectors: np.ndarray, words: int = 700) -> None:
        keep = [i for i, w in enumerate(vocabulary[: COMMON + TOPICAL * 2]) if re.fullmatch(r"[a-z]+", w)]
        keep = keep[: COMMON + TOPICAL]
        words_only = [vocabulary[i] for i in keep]
        self.common = np.array(words_only[:COMMON])
        self.topical = np.array(words_only[COMMON:])
        topical_vectors = np.asarray(vectors[keep[COMMON:]], dtype=np.float64)
        self.directions = topical_vectors / np.linalg.norm(topical_vectors, axis=1, keepdims=True)
        self.lookup = {w: np.asarray(vectors[i], dtype=np.float64) for i, w in zip(keep, words_only)}
        self.words = words
        self.common_p = _zipf(len(self.common))
        self.topic_p = _zipf(400)  # a topic's 400 words, the nearest ones most frequent

    def topic(self, word: str) -> np.ndarray:
        if word not in self.lookup:  # a word without a vector: 400 words drawn by its name
            rng = np.random.default_rng(_seed("topic:" + word))
            return self.topical[rng.choice(len(self.topical), size=400, replace=False)]
        similarity = self.directions @ (self.lookup[word] / np.linalg.norm(self.lookup[word]))
        return self.topical[np.argsort(-similarity, kind="stable")[:400]]

    def __call__(self, prompt: str) -> str:
        present = sorted(set(re.findall(r"[a-z]+", prompt.lower())))
        rng = np.random.default_rng(_seed(prompt))
        out = []
        topics = [self.topic(w) for w in present]
        for _ in range(self.words):
            if not topics or rng.uniform() < 0.5:
                out.append(self.common[rng.choice(len(self.common), p=self.common_p)])
            else:
                topic = topics[rng.integers(len(topics))]
                out.append(topic[rng.choice(len(topic), p=self.topic_p)])
        return " ".join(out) + "."


def glove_long_answers(words: int = 700) -> LongAnswers:
    from gsmile_core.method.embed import glove_keyed_vectors

    vectors = glove_keyed_vectors()
    return LongAnswers(vectors.index_to_key, vectors.vectors, words)


def token_clouds(rng, words=6, dimension=3, longest=14):
    """Two short texts' word vectors drawn from a small vocabulary: repeated words, shared words
    (and, three times in ten, no word shared), for checking distances against an oracle."""
    vocabulary = rng.normal(size=(words, dimension))
    x = vocabulary[rng.integers(0, words, rng.integers(1, longest))]
    y = vocabulary[rng.integers(0, words, rng.integers(1, longest))]
    if rng.uniform() < 0.3:
        y = y + rng.normal(size=y.shape)  # no shared word
    return x, y
